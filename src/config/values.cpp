// values.cpp - the value syntaxes of the config file: durations, sizes,
// listen/nameserver endpoints and delivery targets, and their canonical
// printed forms (describe() output must load back to the same value).
//
// The parsers return a reason without key or line; the loader adds those.
#include "config/config.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <limits>

namespace sm::config {
namespace {

constexpr std::uint64_t kMaxDurationSeconds = 3650ull * 86400;  // ten years

bool is_ipv4(std::string_view s) {
  in_addr a{};
  return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}

bool is_ipv6(std::string_view s) {
  in6_addr a{};
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}

std::string host_for_print(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

bool is_ip_literal(std::string_view s) { return is_ipv4(s) || is_ipv6(s); }

bool is_hostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  if (s.back() == '.') s.remove_suffix(1);
  std::size_t label = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (label == 0 || label > 63) return false;
      if (s[i - 1] == '-' || s[i - label] == '-') return false;
      label = 0;
      continue;
    }
    unsigned char c = s[i];
    if (!(std::isalnum(c) || c == '-' || c == '_')) return false;
    ++label;
  }
  return true;
}

namespace {

std::expected<std::uint64_t, std::string> parse_uint(std::string_view digits) {
  std::uint64_t v = 0;
  if (digits.empty()) return std::unexpected("no number");
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec == std::errc::result_out_of_range) return std::unexpected("number too large");
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::unexpected("not a number");
  return v;
}

}  // namespace

std::expected<std::chrono::seconds, std::string> parse_duration(std::string_view text) {
  const std::string bad = "bad duration \"" + std::string(text) + "\" (use e.g. 30s, 5m, 4h, 5d)";
  if (text.empty()) return std::unexpected(bad);
  std::uint64_t unit = 1;
  std::string_view digits = text;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default:
      if (!std::isdigit(static_cast<unsigned char>(text.back()))) return std::unexpected(bad);
      unit = 0;
  }
  if (unit != 0) digits.remove_suffix(1);
  else unit = 1;
  auto n = parse_uint(digits);
  if (!n) return std::unexpected(bad);
  if (*n > kMaxDurationSeconds / unit)
    return std::unexpected("duration \"" + std::string(text) + "\" is too long (at most 3650d)");
  return std::chrono::seconds(static_cast<std::int64_t>(*n * unit));
}

std::expected<std::uint64_t, std::string> parse_size(std::string_view text) {
  const std::string bad = "bad size \"" + std::string(text) + "\" (use bytes, or e.g. 512K, 50M, 1G)";
  if (text.empty()) return std::unexpected(bad);
  std::uint64_t unit = 1;
  std::string_view digits = text;
  switch (text.back()) {
    case 'k': case 'K': unit = 1ull << 10; break;
    case 'm': case 'M': unit = 1ull << 20; break;
    case 'g': case 'G': unit = 1ull << 30; break;
    default: unit = 0;
  }
  if (unit != 0) digits.remove_suffix(1);
  else unit = 1;
  auto n = parse_uint(digits);
  if (!n) return std::unexpected(bad);
  if (*n > std::numeric_limits<std::uint64_t>::max() / unit)
    return std::unexpected("size \"" + std::string(text) + "\" is too large");
  return *n * unit;
}

std::expected<Endpoint, std::string> parse_endpoint(std::string_view text, bool allow_port_zero) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  Endpoint ep;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::unexpected("missing ] in " + quoted);
    ep.host = std::string(text.substr(1, close - 1));
    if (!is_ipv6(ep.host)) return std::unexpected("bad IPv6 address in " + quoted);
    if (close + 1 >= text.size() || text[close + 1] != ':')
      return std::unexpected("missing :PORT in " + quoted + " (use e.g. [::1]:25)");
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return std::unexpected("missing :PORT in " + quoted + " (use HOST:PORT, e.g. 127.0.0.1:25)");
    ep.host = std::string(text.substr(0, colon));
    if (ep.host.find(':') != std::string::npos)
      return std::unexpected("IPv6 address needs brackets in " + quoted + " (use e.g. [::1]:25)");
    if (!is_ipv4(ep.host) && !is_hostname(ep.host))
      return std::unexpected("bad host in " + quoted);
    port = text.substr(colon + 1);
  }
  auto n = parse_uint(port);
  if (!n || *n > 65535 || (*n == 0 && !allow_port_zero))
    return std::unexpected("bad port in " + quoted + (allow_port_zero ? " (0..65535)" : " (1..65535)"));
  ep.port = static_cast<std::uint16_t>(*n);
  return ep;
}

std::expected<Target, std::string> parse_target(std::string_view text, bool allow_mx,
                                                const std::filesystem::path& base_dir) {
  const std::string usage = allow_mx
      ? " (use \"mx\", \"smtp://HOST:PORT\" or \"lmtp://HOST:PORT\")"
      : " (use \"maildir:PATH\", \"smtp://HOST:PORT\" or \"lmtp://HOST:PORT\")";
  const std::string quoted = "\"" + std::string(text) + "\"";
  Target t;
  if (text == "mx") {
    if (!allow_mx) return std::unexpected("\"mx\" is not allowed here" + usage);
    return t;
  }
  if (text.starts_with("maildir:") && !allow_mx) {
    std::filesystem::path p(std::string(text.substr(8)));
    if (p.empty()) return std::unexpected("empty maildir path in " + quoted);
    t.kind = Target::Kind::maildir;
    t.path = (p.is_absolute() ? p : base_dir / p).lexically_normal();
    return t;
  }
  std::string_view rest;
  if (text.starts_with("smtp://")) {
    t.kind = Target::Kind::smtp;
    rest = text.substr(7);
  } else if (text.starts_with("lmtp://")) {
    t.kind = Target::Kind::lmtp;
    rest = text.substr(7);
  } else {
    return std::unexpected("bad target " + quoted + usage);
  }
  if (rest.empty() || rest.front() == ':') return std::unexpected("missing host in " + quoted);
  auto ep = parse_endpoint(rest, false);
  if (!ep) return std::unexpected(ep.error() + usage);
  t.host = ep->host;
  t.port = ep->port;
  return t;
}

std::string Endpoint::str() const {
  if (host.empty()) return {};
  return host_for_print(host) + ":" + std::to_string(port);
}

std::string Target::str() const {
  switch (kind) {
    case Kind::mx: return "mx";
    case Kind::maildir: return "maildir:" + path.string();
    case Kind::smtp: return "smtp://" + host_for_print(host) + ":" + std::to_string(port);
    case Kind::lmtp: return "lmtp://" + host_for_print(host) + ":" + std::to_string(port);
  }
  return {};
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "info";
}

std::string_view to_string(SyncMode mode) {
  return mode == SyncMode::fsync ? "fsync" : "syncfs";
}

std::string format_duration(std::chrono::seconds d) {
  auto s = d.count();
  if (s != 0) {
    for (auto [unit, suffix] : {std::pair{7 * 86400, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}})
      if (s % unit == 0) return std::to_string(s / unit) + suffix;
  }
  return std::to_string(s) + "s";
}

std::string format_size(std::uint64_t bytes) {
  if (bytes != 0) {
    for (auto [shift, suffix] : {std::pair{30, 'G'}, {20, 'M'}, {10, 'K'}})
      if (bytes % (1ull << shift) == 0) return std::to_string(bytes >> shift) + suffix;
  }
  return std::to_string(bytes);
}

}  // namespace sm::config
