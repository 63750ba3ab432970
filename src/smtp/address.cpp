// address.cpp - RFC 5321 4.1.2 Path / Mailbox syntax: source routes
// (accepted, stripped), dot-string and quoted-string local parts, domains
// and address literals, and the 4.5.3.1 length limits.
#include <arpa/inet.h>

#include <string>

#include "mail/atom.h"
#include "smtp/command.h"

namespace sm::smtp {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_let_dig(char c) { return is_alpha(c) || is_digit(c); }

// Length of the quoted-string at the start of s (including both quotes), 0 if malformed.
std::size_t quoted_string_length(std::string_view s) {
  if (s.empty() || s[0] != '"') return 0;
  for (std::size_t i = 1; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"') return i + 1;
    if (c == '\\') {
      if (++i >= s.size()) return 0;
      c = static_cast<unsigned char>(s[i]);
      if (c < 32 || c > 126) return 0;       // quoted-pairSMTP = %d92 %d32-126
    } else if (c < 32 || c > 126) {
      return 0;                               // qtextSMTP
    }
  }
  return 0;
}

bool valid_domain(std::string_view s) {
  if (s.empty() || s.size() > kMaxDomain) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (!is_let_dig(label.front()) || !is_let_dig(label.back())) return false;
    for (char c : label)
      if (!is_let_dig(c) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool valid_address_literal(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  std::string inner(s.substr(1, s.size() - 2));
  unsigned char buf[16];
  if (inner.size() > 5 && inner.compare(0, 5, "IPv6:") == 0)
    return inet_pton(AF_INET6, inner.c_str() + 5, buf) == 1;
  if (inet_pton(AF_INET, inner.c_str(), buf) == 1) return true;
  // General-address-literal = Standardized-tag ":" 1*dcontent
  auto colon = inner.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == inner.size()) return false;
  std::string_view tag(inner.data(), colon);
  if (!valid_domain(tag) || tag.find('.') != tag.npos) return false;  // Ldh-str
  for (char c : std::string_view(inner).substr(colon + 1)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || u == '[' || u == '\\' || u == ']') return false;
  }
  return true;
}

// Source route: "@a,@b:" - every element an At-domain.
bool valid_route(std::string_view route) {
  std::size_t start = 0;
  while (start <= route.size()) {
    std::size_t comma = route.find(',', start);
    std::string_view hop = route.substr(start, comma == route.npos ? route.npos : comma - start);
    if (hop.size() < 2 || hop[0] != '@' || !valid_domain(hop.substr(1))) return false;
    if (comma == route.npos) return true;
    start = comma + 1;
  }
  return false;
}

Result<std::string> parse_mailbox(std::string_view m, std::string_view enhanced) {
  std::size_t local_len = 0;
  if (!m.empty() && m[0] == '"') {
    local_len = quoted_string_length(m);
    if (local_len == 0) return fail(501, std::string(enhanced), "Bad address syntax (quoted local part)");
  } else {
    local_len = m.find('@');  // a dot-string holds no "@"
    if (local_len == m.npos) return fail(501, std::string(enhanced), "Bad address syntax (no domain)");
    if (!mail::is_dot_atom(m.substr(0, local_len)))
      return fail(501, std::string(enhanced), "Bad address syntax (local part)");
  }
  if (local_len > kMaxLocalPart) return fail(501, std::string(enhanced), "Local part too long");
  if (local_len >= m.size() || m[local_len] != '@')
    return fail(501, std::string(enhanced), "Bad address syntax (no domain)");
  std::string_view domain = m.substr(local_len + 1);
  if (domain.size() > kMaxDomain) return fail(501, std::string(enhanced), "Domain too long");
  if (!valid_domain_or_literal(domain)) return fail(501, std::string(enhanced), "Bad address syntax (domain)");
  return std::string(m);
}

}  // namespace

bool valid_domain_or_literal(std::string_view s) {
  if (!s.empty() && s.front() == '[') return valid_address_literal(s);
  return valid_domain(s);
}

Result<std::string> parse_path(std::string_view path, bool allow_null, bool allow_postmaster,
                               std::string_view enhanced) {
  std::string e(enhanced);
  for (char c : path) {
    if (c == '\r' || c == '\n' || c == '\0') return fail(501, e, "Bad address syntax (control character)");
    if (static_cast<unsigned char>(c) >= 0x80)
      return fail(553, "5.6.7", "Non-ASCII address requires SMTPUTF8, which is not offered");
  }
  if (path.size() < 2 || path.front() != '<' || path.back() != '>')
    return fail(501, "5.5.4", "Syntax error: address must be enclosed in <>");
  if (path.size() > kMaxPath) return fail(501, e, "Path too long");
  std::string_view inner = path.substr(1, path.size() - 2);
  if (inner.empty()) {
    if (allow_null) return std::string();
    return fail(501, e, "Null address not allowed here");
  }
  if (inner.front() == '@') {  // RFC 5321 4.1.2 A-d-l; accepted, ignored (Appendix C)
    auto colon = inner.find(':');
    if (colon == inner.npos || !valid_route(inner.substr(0, colon)))
      return fail(501, e, "Bad address syntax (source route)");
    inner = inner.substr(colon + 1);
  }
  if (allow_postmaster && inner.size() == 10) {
    std::string lower;
    for (char c : inner) lower += static_cast<char>(c | 0x20);
    if (lower == "postmaster") return std::string(inner);
  }
  return parse_mailbox(inner, enhanced);
}

}  // namespace sm::smtp
