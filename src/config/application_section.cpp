// application_section.cpp - [[application]]: the applications on our side
// that hand mail to the gateway (docs/applications.md), how the relay
// listener recognises each (source networks, TLS client certificates; none
// for one that only uses the admin API) and the addresses it may send as.
//
// An application is a narrower relay client: it names addresses, not
// domains, and they must be in our own domains. No two applications share
// a network, a certificate or a name; an application may sit inside a
// relay client's network (it is matched first).
#include <algorithm>

#include "config/loader.h"
#include "util/text.h"

namespace sm::config {

bool Config::Application::may_send_as(std::string_view address) const {
  const std::string a = ascii_lower(address);
  const auto at = a.rfind('@');
  if (at == std::string::npos) return false;
  const std::string any = "*" + a.substr(at);
  return std::any_of(senders.begin(), senders.end(), [&](const std::string& s) { return s == a || s == any; });
}

const Config::Application* Config::application(std::string_view name) const {
  const std::string n = ascii_lower(name);
  for (const auto& a : applications)
    if (ascii_lower(a.name) == n) return &a;
  return nullptr;
}

namespace detail {

void Loader::read_applications(Section& root, Config& c) {
  std::map<std::string, std::string> claimed;
  for (Section& s : table_array(root, "application", "application")) {
    Config::Application app;
    const std::uint32_t header = s.table->source().begin.line;
    const std::size_t before = errors_.size();
    auto named = read_client_name(s, claimed, "every application needs a name (its API token has the same name)");
    app.name = named.name;
    const std::string& label = named.label;
    const std::string& who = named.who;
    const Claim& claim = named.claim;
    read_client_identity(s, label, app.networks, app.certificates, claim, false);
    for (auto& [line, v] : strings(s, "senders")) {
      std::string address = v;
      if (address.starts_with("*@")) address = "any" + address.substr(1);  // checked as an address, kept as *@
      std::string ours = our_address(line, key(s, "senders"), address, c);
      if (ours.empty()) continue;
      if (v.starts_with("*@")) ours = "*" + ours.substr(3);
      if (std::find(app.senders.begin(), app.senders.end(), ours) == app.senders.end()) app.senders.push_back(ours);
    }
    if (!line_of(key(s, "senders")))
      error(header, key(s, "senders"), "missing: the addresses " + who + " may send as (\"alerts@DOMAIN\" or \"*@DOMAIN\")");
    else if (app.senders.empty() && errors_.size() == before)
      error(line_of(key(s, "senders")), key(s, "senders"), "must list at least one address");
    finish(s);
    c.applications.push_back(std::move(app));
  }
}

std::string describe_applications(const Config& c) {
  if (c.applications.empty()) return "# [[application]]: none (no application may submit encrypted mail or use POST /v1/messages)\n";
  std::string o;
  for (const auto& a : c.applications) {
    o += describe_client("application", a.name, a.networks, a.certificates);
    o += "senders = " + string_list(a.senders) + "\n";
  }
  return o;
}

}  // namespace detail
}  // namespace sm::config
