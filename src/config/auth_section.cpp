// auth_section.cpp - [auth] (sign-in throttling and the TOTP issuer),
// [mailboxes] (hold_time), and the two [listen] keys of the mailbox
// service: submissions (implicit TLS submission, port 465) and web (the
// self-service page). Read while [listen] is open, so the listeners are
// checked against the other four for a shared address and port here.
#include "config/loader.h"

namespace sm::config::detail {

void Loader::read_auth(Section& root, Section& listen, Config& c) {
  c.listen.submissions = listener(listen, "submissions", "");
  c.listen.web = listener(listen, "web", "");
  const std::pair<const char*, const Endpoint*> others[] = {
      {"listen.relay", &c.listen.relay}, {"listen.inbound", &c.listen.inbound},
      {"listen.admin", &c.listen.admin}, {"listen.submission", &c.listen.submission},
      {"listen.submissions", &c.listen.submissions}};
  for (auto [k, ep] : {std::pair{"listen.submissions", &c.listen.submissions}, std::pair{"listen.web", &c.listen.web}})
    for (auto [other, oep] : others)
      if (k != std::string_view(other) && ep->enabled() && ep->port != 0 && *ep == *oep) {
        error(line_of(k), k, "\"" + ep->str() + "\" is also " + other);
        break;
      }

  Section a = section(root, "auth");
  Config::Auth def;
  c.auth.delay_after = count(a, "delay_after", def.delay_after, 0);
  c.auth.account_lock = count(a, "account_lock", def.account_lock, 1);
  c.auth.client_lock = count(a, "client_lock", def.client_lock, 1);
  c.auth.window = duration(a, "window", "15m");
  c.auth.lock_time = duration(a, "lock_time", "15m");
  if (c.auth.delay_after >= c.auth.account_lock)
    error(line_of(key(a, "delay_after")), key(a, "delay_after"),
          "must be less than auth.account_lock (" + std::to_string(c.auth.account_lock) + "), got " +
              std::to_string(c.auth.delay_after) + ": replies are slowed before the account locks");
  std::size_t before = errors_.size();
  c.auth.issuer = text(a, "issuer", c.domain);
  if (errors_.size() == before) {
    bool ok = !c.auth.issuer.empty() && c.auth.issuer.size() <= 64;
    for (unsigned char ch : c.auth.issuer) ok = ok && ch >= ' ' && ch < 127 && ch != ':';
    if (!ok)
      error(line_of(key(a, "issuer")), key(a, "issuer"),
            "bad issuer " + quote(printable(c.auth.issuer)) +
                " (1 to 64 printable ASCII characters without \":\"; authenticator apps show it)");
  }
  finish(a);

  Section m = section(root, "mailboxes");
  c.mailboxes.hold_time = duration(m, "hold_time", "3d");
  finish(m);
}

std::string describe_auth(const Config& c) {
  auto ep = [](const Endpoint& e) { return quote(e.str()) + (e.enabled() ? "" : "  # disabled"); };
  std::string o = "listen.submissions = " + ep(c.listen.submissions) + "\n";
  o += "listen.web = " + ep(c.listen.web) + "\n";
  o += "auth.delay_after = " + std::to_string(c.auth.delay_after) + "  # failures per account before slow replies\n";
  o += "auth.account_lock = " + std::to_string(c.auth.account_lock) + "\n";
  o += "auth.client_lock = " + std::to_string(c.auth.client_lock) + "\n";
  o += "auth.window = " + quote(format_duration(c.auth.window)) + "\n";
  o += "auth.lock_time = " + quote(format_duration(c.auth.lock_time)) + "\n";
  o += "auth.issuer = " + quote(c.auth.issuer) + "\n";
  o += "mailboxes.hold_time = " + quote(format_duration(c.mailboxes.hold_time)) + "\n";
  return o;
}

}  // namespace sm::config::detail
