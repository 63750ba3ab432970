// assurance.cpp - writing and strictly reading the value of the
// SecureMail-Sender-Assurance header (see assurance.h). Every key must be
// present exactly once (level only, and always, with identity=verified),
// values are the exact lower-case tokens, and the sign-in method must
// agree with strong (password: no; totp, recovery: yes; device: either).
#include "auth/assurance.h"

#include <map>

namespace sm::auth {
namespace {

std::string_view trim(std::string_view s) {
  constexpr std::string_view ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::optional<bool> yes_no(std::string_view v) {
  if (v == "yes") return true;
  if (v == "no") return false;
  return std::nullopt;
}

bool token(std::string_view v) {
  if (v.empty() || v.size() > 32) return false;
  for (char ch : v)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) return false;
  return true;
}

}  // namespace

std::string SenderAssurance::header_value() const {
  std::string v = "auth=" + auth + "; strong=" + (strong ? "yes" : "no") + "; sole-user=" + (sole_user ? "yes" : "no") +
                  "; identity=" + (identity_verified ? "verified" : "unverified");
  if (identity_verified) v += "; level=" + identity_level;
  return v;
}

std::optional<SenderAssurance> SenderAssurance::parse(std::string_view value) {
  std::map<std::string, std::string, std::less<>> items;
  while (true) {
    auto semi = value.find(';');
    std::string_view item = trim(value.substr(0, semi));
    auto eq = item.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view k = trim(item.substr(0, eq)), v = trim(item.substr(eq + 1));
    if (!token(v) || !items.emplace(std::string(k), std::string(v)).second) return std::nullopt;
    if (semi == std::string_view::npos) break;
    value.remove_prefix(semi + 1);
  }
  for (const auto& [k, v] : items)
    if (k != "auth" && k != "strong" && k != "sole-user" && k != "identity" && k != "level") return std::nullopt;
  auto get = [&](std::string_view k) -> std::optional<std::string> {
    auto it = items.find(k);
    return it == items.end() ? std::nullopt : std::optional(it->second);
  };
  auto auth = get("auth"), strong = get("strong"), sole = get("sole-user"), identity = get("identity");
  if (!auth || !strong || !sole || !identity) return std::nullopt;
  SenderAssurance a;
  a.auth = *auth;
  auto s = yes_no(*strong), u = yes_no(*sole);
  if (!s || !u) return std::nullopt;
  a.strong = *s;
  a.sole_user = *u;
  if (a.auth == "password") {
    if (a.strong) return std::nullopt;
  } else if (a.auth == "totp" || a.auth == "recovery") {
    if (!a.strong) return std::nullopt;
  } else if (a.auth != "device") {
    return std::nullopt;
  }
  if (*identity == "verified") {
    auto level = get("level");
    if (!level) return std::nullopt;
    a.identity_verified = true;
    a.identity_level = *level;
  } else if (*identity != "unverified" || get("level")) {
    return std::nullopt;
  }
  return a;
}

}  // namespace sm::auth
