// params.cpp - ESMTP parameter grammar and the values of SIZE (RFC 1870),
// BODY (RFC 6152, BINARYMIME RFC 3030), RET / ENVID / NOTIFY / ORCPT (RFC 3461).
#include "smtp/params.h"

#include <functional>
#include <limits>
#include <set>
#include <string>

#include "mail/xtext.h"

namespace sm::smtp {
namespace {

bool valid_keyword(std::string_view k) {
  if (k.empty()) return false;
  for (std::size_t i = 0; i < k.size(); ++i) {
    char c = k[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && !(i > 0 && c == '-')) return false;
  }
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126)
bool valid_value(std::string_view v) {
  if (v.empty()) return false;
  for (unsigned char c : v)
    if (c < 33 || c > 126 || c == '=') return false;
  return true;
}

// xtext = *( xchar / hexchar ), xchar = "!".."~" except "+" and "=".
std::optional<std::string> decode_xtext(std::string_view v) {
  for (unsigned char c : v)
    if (c < 33 || c > 126 || c == '=') return std::nullopt;
  return mail::xtext_decode(v);
}

Result<void> bad_value(std::string_view keyword) {
  return fail(501, "5.5.4", "Bad " + std::string(keyword) + " parameter value");
}

using Handler = std::function<Result<void>(const std::string& keyword, std::string_view value,
                                           Command& cmd)>;

// Split into parameters and dispatch each to handle(); enforces syntax and uniqueness.
Result<void> for_each_param(std::string_view params, Command& cmd, const Handler& handle) {
  std::set<std::string> seen;
  std::size_t pos = 0;
  while (pos < params.size()) {
    if (params[pos] == ' ') { ++pos; continue; }
    std::size_t end = params.find(' ', pos);
    if (end == params.npos) end = params.size();
    std::string_view item = params.substr(pos, end - pos);
    pos = end;
    auto eq = item.find('=');
    std::string keyword = upper(item.substr(0, eq));
    std::string_view value = eq == item.npos ? std::string_view() : item.substr(eq + 1);
    if (!valid_keyword(keyword) || (eq != item.npos && !valid_value(value)))
      return fail(501, "5.5.4", "Syntax error in parameters");
    if (!seen.insert(keyword).second)
      return fail(501, "5.5.4", "Duplicate " + keyword + " parameter");
    cmd.has_params = true;
    if (auto r = handle(keyword, value, cmd); !r) return r;
  }
  return {};
}

Result<void> parse_size(std::string_view v, Command& cmd) {
  if (v.empty() || v.size() > 20) return bad_value("SIZE");
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return bad_value("SIZE");
    unsigned d = static_cast<unsigned>(c - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
      n = std::numeric_limits<std::uint64_t>::max();  // over any limit; SIZE check rejects it
      break;
    }
    n = n * 10 + d;
  }
  cmd.size = n;
  return {};
}

Result<void> parse_notify(std::string_view v, Command& cmd) {
  unsigned bits = 0;
  std::size_t pos = 0;
  while (pos <= v.size()) {
    std::size_t comma = v.find(',', pos);
    std::string item = upper(v.substr(pos, comma == v.npos ? v.npos : comma - pos));
    unsigned bit = item == "NEVER" ? mail::kNotifyNever
                   : item == "SUCCESS" ? mail::kNotifySuccess
                   : item == "FAILURE" ? mail::kNotifyFailure
                   : item == "DELAY" ? mail::kNotifyDelay : 0u;
    if (bit == 0 || (bits & bit)) return bad_value("NOTIFY");
    bits |= bit;
    if (comma == v.npos) break;
    pos = comma + 1;
  }
  if ((bits & mail::kNotifyNever) && bits != mail::kNotifyNever) return bad_value("NOTIFY");
  cmd.notify = bits;
  return {};
}

// ORCPT=addr-type ";" xtext; addr-type is an atom (RFC 3461 4.2).
Result<void> parse_orcpt(std::string_view v, Command& cmd) {
  auto semi = v.find(';');
  if (semi == v.npos || semi == 0 || v.size() > 500) return bad_value("ORCPT");
  std::string_view type = v.substr(0, semi);
  for (char c : type) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return bad_value("ORCPT");
  }
  auto addr = decode_xtext(v.substr(semi + 1));
  if (!addr || addr->empty()) return bad_value("ORCPT");
  cmd.orcpt = std::string(type) + ";" + *addr;
  return {};
}

Result<void> mail_param(const std::string& k, std::string_view v, Command& cmd) {
  bool has_value = !v.empty();
  if (k == "SIZE") return parse_size(v, cmd);
  if (k == "BODY") {
    std::string u = upper(v);
    if (u == "7BIT") cmd.body = Body::seven_bit;
    else if (u == "8BITMIME") cmd.body = Body::eight_bit_mime;
    else if (u == "BINARYMIME") cmd.body = Body::binary_mime;  // RFC 3030 3
    else return bad_value("BODY");
    return {};
  }
  if (k == "RET") {
    std::string u = upper(v);
    if (u == "FULL") cmd.ret = mail::Ret::full;
    else if (u == "HDRS") cmd.ret = mail::Ret::hdrs;
    else return bad_value("RET");
    return {};
  }
  if (k == "ENVID") {
    auto id = has_value && v.size() <= 100 ? decode_xtext(v) : std::nullopt;
    if (!id) return bad_value("ENVID");
    cmd.envid = std::move(*id);
    return {};
  }
  return fail(555, "5.5.4", "Unsupported MAIL FROM parameter " + k);
}

Result<void> rcpt_param(const std::string& k, std::string_view v, Command& cmd) {
  if (k == "NOTIFY") return v.empty() ? bad_value("NOTIFY") : parse_notify(v, cmd);
  if (k == "ORCPT") return parse_orcpt(v, cmd);
  return fail(555, "5.5.4", "Unsupported RCPT TO parameter " + k);
}

}  // namespace

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}


Result<void> parse_mail_params(std::string_view params, Command& cmd) {
  return for_each_param(params, cmd, mail_param);
}

Result<void> parse_rcpt_params(std::string_view params, Command& cmd) {
  return for_each_param(params, cmd, rcpt_param);
}

}  // namespace sm::smtp
