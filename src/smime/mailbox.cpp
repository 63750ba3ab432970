// mailbox.cpp - a strict RFC 5322 mailbox-list reader for the signed From:.
//
// Strict on purpose: the From: address decides which member must have
// signed, so anything a mail client might read differently (groups, routes,
// stray brackets, several addresses) is refused rather than guessed at.
#include "smime/mailbox.h"

#include "mail/atom.h"

#include <cctype>

namespace sm::smime::detail {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

bool is_quoted_local(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\') {
      if (++i + 1 >= s.size()) return false;
    } else if (s[i] == '"' || s[i] == '\r' || s[i] == '\n') {
      return false;
    }
  }
  return true;
}

bool is_host_name(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  std::size_t start = 0;
  while (start <= d.size()) {
    std::size_t dot = d.find('.', start);
    if (dot == std::string_view::npos) dot = d.size();
    std::string_view label = d.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    start = dot + 1;
  }
  return true;
}

bool is_addr_spec(std::string_view a) {
  std::size_t at = a.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string_view local = a.substr(0, at);
  return (mail::is_dot_atom(local) || is_quoted_local(local)) && is_host_name(a.substr(at + 1));
}

// Skip a comment starting at s[i] == '('; i ends after the ')'.
bool skip_comment(std::string_view s, std::size_t& i) {
  int depth = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == '\\') ++i;
    else if (s[i] == '(') ++depth;
    else if (s[i] == ')' && --depth == 0) { ++i; return true; }
  }
  return false;
}

// Copy a quoted string starting at s[i] == '"' into out; i ends after it.
bool copy_quoted(std::string_view s, std::size_t& i, std::string& out) {
  out += s[i++];
  for (; i < s.size(); ++i) {
    out += s[i];
    if (s[i] == '\\' && i + 1 < s.size()) out += s[++i];
    else if (s[i] == '"') { ++i; return true; }
  }
  return false;
}

struct Element {
  std::string bare;   // outside the angle brackets
  std::string angle;  // inside them
  bool has_angle = false;
};

std::optional<std::string> address_of(const Element& e) {
  std::string_view addr = trim(e.has_angle ? std::string_view(e.angle) : std::string_view(e.bare));
  if (!is_addr_spec(addr)) return std::nullopt;
  return std::string(addr);
}

}  // namespace

std::optional<std::vector<std::string>> parse_mailbox_list(std::string_view value) {
  std::vector<std::string> out;
  if (trim(value).empty()) return out;
  Element e;
  bool in_angle = false;
  std::size_t i = 0;
  auto finish = [&]() -> bool {
    auto a = address_of(e);
    if (!a) return false;
    out.push_back(std::move(*a));
    e = Element{};
    return true;
  };
  while (i < value.size()) {
    char c = value[i];
    std::string& buf = in_angle ? e.angle : e.bare;
    if (c == '(') {
      if (!skip_comment(value, i)) return std::nullopt;
      buf += ' ';
    } else if (c == '"') {
      if (!copy_quoted(value, i, buf)) return std::nullopt;
    } else if (c == '<') {
      if (in_angle || e.has_angle) return std::nullopt;
      in_angle = e.has_angle = true;
      ++i;
    } else if (c == '>') {
      if (!in_angle) return std::nullopt;
      in_angle = false;
      ++i;
    } else if (c == ',' && !in_angle) {
      if (!finish()) return std::nullopt;
      ++i;
    } else if (c == ',' || c == ':' || c == ';' || c == '\\') {
      return std::nullopt;  // source route, group syntax, stray escape
    } else {
      if (e.has_angle && !in_angle && !is_wsp(c)) return std::nullopt;  // text after <...>
      buf += c;
      ++i;
    }
  }
  if (in_angle || !finish()) return std::nullopt;
  return out;
}

}  // namespace sm::smime::detail
