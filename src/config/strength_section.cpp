// strength_section.cpp - [[strong_auth]] (which mail needs strong
// authentication, optionally only mail marked at or above marking_min, and
// what happens to inbound mail for a local account that cannot sign in
// strongly: hold or return) and [[require_assurance]] (what signed sender
// assurance mail from a member must carry).
//
// Address patterns are "*", "*@domain" or local@domain, kept lower-case;
// member ids follow the directory's syntax (lower-case letters, digits,
// '.', '-'), or "*" for every member.
#include "config/loader.h"
#include "mail/atom.h"
#include "util/text.h"

namespace sm::config {
namespace {

constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxMemberId = 64;

bool lower_alnum(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); }

// The directory's member id syntax (directory/syntax.h is a layer above config).
bool member_id_or_star(std::string_view id) {
  if (id == "*") return true;
  if (id.empty() || id.size() > kMaxMemberId || !lower_alnum(id[0])) return false;
  for (char ch : id)
    if (!lower_alnum(ch) && ch != '.' && ch != '-') return false;
  return true;
}

std::string_view inbound_name(Config::StrongAuthRule::Inbound i) {
  return i == Config::StrongAuthRule::Inbound::return_ ? "return" : "hold";
}

std::string list(const std::vector<std::string>& items) {
  std::string o = "[";
  for (const auto& s : items) o += (o.size() > 1 ? ", " : "") + detail::quote(s);
  return o + "]";
}

}  // namespace

namespace detail {

std::vector<std::string> Loader::address_patterns(Section& s, std::string_view k, bool subdomains) {
  std::vector<std::string> out;
  for (auto& [line, value] : strings(s, k)) {
    std::string v = ascii_lower(value);
    if (v == "*") {
      out.push_back(v);
      continue;
    }
    std::size_t at = v.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == v.size()) {
      error(line, key(s, k), "bad pattern " + quote(printable(value)) + " (use \"*\", \"*@domain\"" +
                                 (subdomains ? ", \"*@.domain\"" : "") + " or local@domain)");
      continue;
    }
    std::string_view local = std::string_view(v).substr(0, at);
    if (local != "*" && (local.size() > kMaxLocalPart || !mail::is_dot_atom(local))) {
      error(line, key(s, k), "bad local part in " + quote(printable(value)) +
                                 " (letters, digits, dots and !#$%&'*+-/=?^_`{|}~, or * for any)");
      continue;
    }
    // "*@.domain": any subdomain of domain (not domain itself).
    bool below = subdomains && local == "*" && v[at + 1] == '.';
    std::size_t before = errors_.size();
    std::string domain = domain_name(line, key(s, k), v.substr(at + 1 + below));
    if (errors_.size() == before) out.push_back(std::string(local) + (below ? "@." : "@") + domain);
  }
  return out;
}

std::vector<std::string> Loader::member_ids(Section& s, std::string_view k) {
  std::vector<std::string> out;
  for (auto& [line, value] : strings(s, k)) {
    if (member_id_or_star(value)) out.push_back(value);
    else error(line, key(s, k), "bad member id " + quote(printable(value)) +
                                    " (lower-case letters, digits, '.' and '-', or \"*\" for every member)");
  }
  return out;
}

void Loader::read_strength(Section& root, Config& c) {
  for (Section& s : table_array(root, "strong_auth", "rule")) {
    Config::StrongAuthRule rule;
    rule.name = text(s, "name", "");
    std::uint32_t line = line_of(key(s, "name"));
    if (!line) error(s.table->source().begin.line, key(s, "name"), "missing: a name for the rule (used in logs)");
    else if (rule.name.empty() || printable(rule.name) != rule.name)
      error(line, key(s, "name"), "must be 1 or more printable characters, got " + quote(printable(rule.name)));
    for (const auto& other : c.strong_auth)
      if (!rule.name.empty() && other.name == rule.name)
        error(line, key(s, "name"), quote(rule.name) + " is used by another [[strong_auth]] rule");
    rule.members = member_ids(s, "members");
    rule.senders = address_patterns(s, "senders");
    rule.recipients = address_patterns(s, "recipients");
    rule.marking_min = ladder_level(s, "marking_min", "", c);  // [markings] is read first
    std::string inbound = text(s, "inbound", "hold");
    if (inbound == "return") rule.inbound = Config::StrongAuthRule::Inbound::return_;
    else if (inbound != "hold")
      error(line_of(key(s, "inbound")), key(s, "inbound"), "bad value " + quote(printable(inbound)) + " (use hold or return)");
    finish(s);
    c.strong_auth.push_back(std::move(rule));
  }

  for (Section& s : table_array(root, "require_assurance", "requirement")) {
    Config::RequireAssurance need;
    std::size_t before = errors_.size();
    need.members = member_ids(s, "members");
    if (!line_of(key(s, "members")))
      error(s.table->source().begin.line, key(s, "members"), "missing: the sending members (or [\"*\"])");
    else if (need.members.empty() && errors_.size() == before)
      error(line_of(key(s, "members")), key(s, "members"), "empty: name at least one member (or \"*\")");
    need.strong = flag(s, "strong", true);
    need.sole_user = flag(s, "sole_user", false);
    need.identity_verified = flag(s, "identity_verified", false);
    finish(s);
    c.require_assurance.push_back(std::move(need));
  }
}

std::string describe_strength(const Config& c) {
  std::string o;
  if (c.strong_auth.empty()) o += "# [[strong_auth]]: none (no mail needs strong authentication)\n";
  for (const auto& r : c.strong_auth) {
    o += "\n[[strong_auth]]\nname = " + quote(r.name) + "\n";
    if (!r.members.empty()) o += "members = " + list(r.members) + "\n";
    if (!r.senders.empty()) o += "senders = " + list(r.senders) + "\n";
    if (!r.recipients.empty()) o += "recipients = " + list(r.recipients) + "\n";
    if (!r.marking_min.empty()) o += "marking_min = " + quote(r.marking_min) + "\n";
    o += "inbound = " + quote(inbound_name(r.inbound)) + "\n";
  }
  if (c.require_assurance.empty()) o += "# [[require_assurance]]: none\n";
  for (const auto& r : c.require_assurance) {
    o += "\n[[require_assurance]]\nmembers = " + list(r.members) + "\n";
    o += std::string("strong = ") + (r.strong ? "true" : "false") + "\n";
    o += std::string("sole_user = ") + (r.sole_user ? "true" : "false") + "\n";
    o += std::string("identity_verified = ") + (r.identity_verified ? "true" : "false") + "\n";
  }
  return o;
}

}  // namespace detail
}  // namespace sm::config
