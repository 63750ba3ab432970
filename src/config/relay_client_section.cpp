// relay_client_section.cpp - [[relay_client]]: for a gateway service
// provider, each customer mail server that may relay through this gateway,
// how it is recognised (source networks, TLS client certificates) and the
// domains it may send as.
//
// The point of the section is that one customer can never send as another,
// so the loader refuses anything that would make that ambiguous: a domain,
// network or certificate in two clients, a client nobody could recognise,
// a client without domains. Values are normalised here (canonical CIDR,
// lower-case hex, lower-case domains) so the gateway compares plain strings
// and describe() prints them in the form they are matched in.
#include <algorithm>
#include <cctype>

#include "config/client_identity.h"
#include "config/loader.h"
#include "util/text.h"

namespace sm::config {
namespace {

template <class T>
void add_once(std::vector<T>& list, T value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
}

}  // namespace

namespace detail {

bool is_client_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxClientName && std::all_of(name.begin(), name.end(), [](unsigned char ch) {
    return std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.';
  });
}

void Loader::read_client_identity(Section& s, const std::string& label, std::vector<std::string>& networks,
                                  std::vector<std::string>& certificates, const Claim& claim, bool required) {
  const std::uint32_t header = s.table->source().begin.line;
  const std::size_t before = errors_.size();
  for (auto& [line, v] : strings(s, "networks")) {
    auto net = parse_network(v);
    if (!net) error(line, key(s, "networks"), net.error());
    else if (claim(line, "networks", "network " + net->str(), ": a client address must identify one client"))
      add_once(networks, net->str());
  }
  for (auto& [line, v] : strings(s, "certificates")) {
    auto fp = parse_sha256_fingerprint(v);
    if (!fp) error(line, key(s, "certificates"), fp.error());
    else if (claim(line, "certificates", "certificate " + *fp, ": a certificate must identify one client"))
      add_once(certificates, *fp);
  }
  if (!required) return;
  if (!line_of(key(s, "networks")) && !line_of(key(s, "certificates")))
    error(header, label, "needs networks or certificates (or both): nothing would recognise this client");
  else if (networks.empty() && certificates.empty() && errors_.size() == before)
    error(header, label, "networks and certificates are both empty: nothing would recognise this client");
}

void Loader::read_relay_clients(Section& root, Config& c) {
  std::map<std::string, std::string> claimed;
  for (Section& s : table_array(root, "relay_client", "client")) {
    Config::RelayClient rc;
    read_relay_client(s, rc, claimed);
    finish(s);
    c.relay_clients.push_back(std::move(rc));
  }
}

Loader::NamedClient Loader::read_client_name(Section& s, std::map<std::string, std::string>& claimed,
                                             const char* missing) {
  NamedClient c;
  c.label = s.prefix.substr(0, s.prefix.size() - 1);
  const std::uint32_t header = s.table->source().begin.line;
  const std::size_t before = errors_.size();
  c.name = text(s, "name", "");
  c.who = c.label + (c.name.empty() ? "" : " (" + quote(c.name) + ")");
  // True when `what` is new; an error when another client has it already.
  c.claim = [this, &s, &claimed, who = c.who](std::uint32_t line, std::string_view k, const std::string& what,
                                             const char* why) {
    auto [it, fresh] = claimed.emplace(what, who);
    if (!fresh && it->second != who) error(line, key(s, k), what + " is also in " + it->second + why);
    return fresh;
  };
  if (errors_.size() != before) return c;
  if (!line_of(key(s, "name"))) error(header, key(s, "name"), std::string("missing: ") + missing);
  else if (!is_client_name(c.name))
    error(line_of(key(s, "name")), key(s, "name"),
          "bad name " + quote(c.name) + " (1.." + std::to_string(kMaxClientName) + " letters, digits, '-', '_' or '.')");
  else c.claim(line_of(key(s, "name")), "name", "name " + quote(ascii_lower(c.name)), "");
  return c;
}

void Loader::read_relay_client(Section& s, Config::RelayClient& rc, std::map<std::string, std::string>& claimed) {
  const std::uint32_t header = s.table->source().begin.line;
  std::size_t before = errors_.size();
  auto named = read_client_name(s, claimed, "every relay client needs a name (for logs)");
  rc.name = named.name;
  const std::string& label = named.label;
  const std::string& who = named.who;
  const Claim& claim = named.claim;
  read_client_identity(s, label, rc.networks, rc.certificates, claim, true);

  const std::size_t before_domains = errors_.size();
  for (auto& [line, v] : strings(s, "domains")) {
    before = errors_.size();
    std::string d = domain_name(line, key(s, "domains"), v);
    if (errors_.size() == before &&
        claim(line, "domains", "domain " + quote(d), ": one customer must never send as another"))
      add_once(rc.domains, d);
  }
  if (!line_of(key(s, "domains")))
    error(header, key(s, "domains"), "missing: the domains " + who + " may send as");
  else if (rc.domains.empty() && errors_.size() == before_domains)
    error(line_of(key(s, "domains")), key(s, "domains"), "must list at least one domain");

  // The customer's own forgery policy for mail to its domains.
  if (std::string f = text(s, "forgery", ""); line_of(key(s, "forgery"))) {
    if (auto v = parse_forgery(f)) rc.forgery = v;
    else error(line_of(key(s, "forgery")), key(s, "forgery"), "bad value " + quote(f) + " (use reject, quarantine or tag)");
  }
  before = errors_.size();
  rc.subject_tag = text(s, "forgery_subject_tag", "");
  if (errors_.size() == before && line_of(key(s, "forgery_subject_tag")) && !valid_subject_tag(rc.subject_tag))
    error(line_of(key(s, "forgery_subject_tag")), key(s, "forgery_subject_tag"),
          "must be 1..100 printable ASCII characters, got " + quote(rc.subject_tag));
  read_relay_client_receipts(s, rc);
}

std::string describe_client(std::string_view table, const std::string& name, const std::vector<std::string>& networks,
                            const std::vector<std::string>& certificates) {
  return "\n[[" + std::string(table) + "]]\nname = " + quote(name) + "\nnetworks = " + string_list(networks) +
         "\ncertificates = " + string_list(certificates) + "\n";
}

std::string describe_relay_clients(const Config& c) {
  if (c.relay_clients.empty()) return "# [[relay_client]]: none (the relay listener may send as any domain)\n";
  std::string o;
  for (const auto& rc : c.relay_clients) {
    o += describe_client("relay_client", rc.name, rc.networks, rc.certificates);
    o += "domains = " + string_list(rc.domains) + "\n";
    if (rc.forgery) o += "forgery = " + quote(forgery_name(*rc.forgery)) + "\n";
    if (!rc.subject_tag.empty()) o += "forgery_subject_tag = " + quote(rc.subject_tag) + "\n";
    o += describe_relay_client_receipts(rc);
  }
  return o;
}

}  // namespace detail
}  // namespace sm::config
