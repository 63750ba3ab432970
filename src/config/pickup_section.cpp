// pickup_section.cpp - [pickup]: secure pickup for recipients outside
// SecureMail (docs/pickup.md). The policy decision "pickup" needs it.
//
//   listen       = ""      HOST:PORT of the HTTPS pickup pages; empty: no pickup
//   public_url   = ""      https://HOST[:PORT]/ as recipients reach those pages
//                          (the links in notifications); required with listen
//   cert, key    = ""      the pages' TLS certificate chain and key (PEM);
//                          empty: the gateway's [tls] pair
//   expiry       = "14d"   how long a message waits to be picked up (1h..90d);
//                          then its content and key are deleted
//   show_subject = false   name the subject in the notification (otherwise
//                          nothing of the subject, body or attachments)
//   lock_for     = "30m"   a message whose sign-in code was guessed wrong five
//                          times is locked this long (1m..24h)
//   replies      = "sender" who the signed-in recipient may answer from the
//                          page: "sender" (the original sender only), "all"
//                          (also reply-all to the original From/To/Cc), "none"
//   reply_max_size = "10M" a reply's text and attachment together, at most
//                          [limits] max_message_size (not given: the smaller)
//   pdf_password_to = "sender"   who is mailed the password of a message's PDF
//                          ([[policy.rule]] pickup_pdf = true): "sender" (to
//                          pass on by phone or another channel) or
//                          "recipient" (in a mail of its own; weaker)
//   accounts     = true    a recipient may keep an account (password and
//                          authenticator app) for their address and sign in
//                          with it instead of an emailed code
//   account_idle = "365d"  an account unused this long is deleted (30d..3650d)
#include <algorithm>

#include "config/loader.h"

namespace sm::config::detail {

namespace {

// "https://host[:port]/" with nothing after the slash: the links are
// PUBLIC_URL + "p/" + token. Returns the URL with one trailing slash, or
// the reason.
std::expected<std::string, std::string> pickup_url(std::string url) {
  constexpr std::string_view scheme = "https://";
  if (url.rfind(scheme, 0) != 0) return std::unexpected("must start with https:// (the pages are served over TLS only)");
  if (url.find_first_of("?#@ \t\r\n") != std::string::npos)
    return std::unexpected("must be https://HOST[:PORT]/[PATH/] without a query, fragment, user or spaces");
  if (url.back() != '/') url += '/';
  std::string_view rest(url);
  rest.remove_prefix(scheme.size());
  std::string_view host = rest.substr(0, rest.find_first_of(":/"));
  if (host.empty()) return std::unexpected("names no host");
  return url;
}

std::optional<Config::Pickup::Replies> replies_from(std::string_view v) {
  using R = Config::Pickup::Replies;
  if (v == "sender") return R::sender;
  if (v == "all") return R::all;
  if (v == "none") return R::none;
  return std::nullopt;
}

}  // namespace

std::string_view replies_name(Config::Pickup::Replies r) {
  using R = Config::Pickup::Replies;
  return r == R::all ? "all" : r == R::none ? "none" : "sender";
}

void Loader::read_pickup(Section& root, Config& c) {
  Section s = section(root, "pickup");
  auto& p = c.pickup;
  p.listen = listener(s, "listen", "");
  const std::string url = text(s, "public_url", "");
  if (!url.empty()) {
    if (auto u = pickup_url(url)) p.public_url = *u;
    else error(line_of(key(s, "public_url")), key(s, "public_url"), "\"" + printable(url) + "\" " + u.error());
  }
  if (auto cert = text(s, "cert", ""); !cert.empty()) p.cert = resolve(base_, cert);
  if (auto k = text(s, "key", ""); !k.empty()) p.key = resolve(base_, k);
  if (p.cert.empty() != p.key.empty()) {
    std::string k = key(s, p.cert.empty() ? "key" : "cert");
    error(line_of(k), k, "pickup.cert and pickup.key must be given together (or both left empty: the [tls] pair)");
  }
  if (p.listen.enabled() && url.empty())
    error(line_of(key(s, "listen")), key(s, "listen"), "needs pickup.public_url: the address recipients open");
  if (!p.listen.enabled() && !url.empty() && !line_of(key(s, "listen")))
    error(line_of(key(s, "public_url")), key(s, "public_url"), "needs pickup.listen: where the pages are served");
  auto expiry = duration(s, "expiry", "14d");
  if (expiry < std::chrono::hours(1) || expiry > std::chrono::days(90))
    error(line_of(key(s, "expiry")), key(s, "expiry"), "must be between 1h and 90d");
  else p.expiry = expiry;
  p.show_subject = flag(s, "show_subject", false);
  auto lock = duration(s, "lock_for", "30m");
  if (lock < std::chrono::minutes(1) || lock > std::chrono::hours(24))
    error(line_of(key(s, "lock_for")), key(s, "lock_for"), "must be between 1m and 24h");
  else p.lock_for = lock;
  const std::string replies = text(s, "replies", "sender");
  if (auto r = replies_from(replies)) p.replies = *r;
  else error(line_of(key(s, "replies")), key(s, "replies"), "\"" + printable(replies) + "\" must be \"sender\", \"all\" or \"none\"");
  // Not given: 10M, or the largest message this gateway accepts when that is less.
  p.reply_max_size = size(s, "reply_max_size", "10M");
  const bool sized = line_of(key(s, "reply_max_size")) != 0;  // known once read
  if (!sized) p.reply_max_size = std::min<std::uint64_t>(p.reply_max_size, c.limits.max_message_size);
  else if (p.reply_max_size < 1024 || p.reply_max_size > c.limits.max_message_size)
    error(line_of(key(s, "reply_max_size")), key(s, "reply_max_size"),
          "must be between 1K and limits.max_message_size (" + format_size(c.limits.max_message_size) + ")");
  const std::string to = text(s, "pdf_password_to", "sender");
  if (to == "recipient") p.pdf_password_to = Config::Pickup::PdfPasswordTo::recipient;
  else if (to != "sender")
    error(line_of(key(s, "pdf_password_to")), key(s, "pdf_password_to"),
          "bad value " + quote(printable(to)) + " (use \"sender\" or \"recipient\")");
  p.accounts = flag(s, "accounts", true);
  auto idle = duration(s, "account_idle", "365d");
  if (idle < std::chrono::days(30) || idle > std::chrono::days(3650))
    error(line_of(key(s, "account_idle")), key(s, "account_idle"), "must be between 30d and 3650d");
  else p.account_idle = idle;
  finish(s);
}

std::string describe_pickup(const Config& c) {
  const auto& p = c.pickup;
  return "pickup.listen = " + quote(p.listen.str()) + "\n" + "pickup.public_url = " + quote(p.public_url) + "\n" +
         "pickup.cert = " + quote(p.cert.string()) + "\n" + "pickup.key = " + quote(p.key.string()) + "\n" +
         "pickup.expiry = " + quote(format_duration(p.expiry)) + "\n" +
         "pickup.show_subject = " + (p.show_subject ? "true" : "false") + "\n" +
         "pickup.lock_for = " + quote(format_duration(p.lock_for)) + "\n" +
         "pickup.replies = " + quote(replies_name(p.replies)) + "\n" +
         "pickup.reply_max_size = " + quote(format_size(p.reply_max_size)) + "\n" + "pickup.pdf_password_to = " +
         quote(p.pdf_password_to == Config::Pickup::PdfPasswordTo::sender ? "sender" : "recipient") + "\n" +
         "pickup.accounts = " + (p.accounts ? "true" : "false") + "\n" +
         "pickup.account_idle = " + quote(format_duration(p.account_idle)) + "\n";
}

}  // namespace sm::config::detail
