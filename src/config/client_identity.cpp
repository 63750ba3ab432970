// client_identity.cpp - IP addresses, CIDR networks and SHA-256
// fingerprints for [[relay_client]] (see client_identity.h).
#include "config/client_identity.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace sm::config {
namespace {

bool is_v4_mapped(const std::array<std::uint8_t, 16>& b) {
  static constexpr std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(b.data(), prefix, sizeof prefix) == 0;
}

// Strict literal parse (inet_pton): no zone, no mapping.
std::expected<IpAddress, std::string> parse_literal(std::string_view text) {
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  a.v6 = true;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  return std::unexpected("\"" + s + "\" is not an IPv4 or IPv6 address");
}

// Clears every bit after the first `prefix`; true when none was set.
bool clear_host_bits(IpAddress& a, unsigned prefix) {
  bool clean = true;
  for (unsigned i = 0; i < a.bits() / 8; ++i) {
    unsigned keep = prefix > i * 8 ? std::min(8u, prefix - i * 8) : 0;
    auto mask = static_cast<std::uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
    if (a.bytes[i] & ~mask) clean = false;
    a.bytes[i] &= mask;
  }
  return clean;
}

}  // namespace

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::expected<IpAddress, std::string> parse_ip_address(std::string_view text) {
  if (auto zone = text.find('%'); zone != std::string_view::npos) text = text.substr(0, zone);
  auto a = parse_literal(text);
  if (a && a->v6 && is_v4_mapped(a->bytes)) {
    IpAddress v4;
    std::copy_n(a->bytes.begin() + 12, 4, v4.bytes.begin());
    return v4;
  }
  return a;
}

bool Network::contains(const IpAddress& a) const {
  if (a.v6 != address.v6) return false;
  IpAddress masked = a;
  clear_host_bits(masked, prefix);
  return masked == address;
}

std::string Network::str() const {
  std::string s = address.str();
  return prefix == address.bits() ? s : s + "/" + std::to_string(prefix);
}

std::expected<Network, std::string> parse_network(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const std::string usage = " (use an address or ADDRESS/PREFIX, e.g. 192.0.2.0/24 or 2001:db8::/32)";
  auto slash = text.find('/');
  auto addr = parse_literal(text.substr(0, slash));
  if (!addr) return std::unexpected("bad network " + quoted + usage);
  Network n{*addr, addr->bits()};
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    unsigned prefix = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix > n.address.bits())
      return std::unexpected("bad prefix length in " + quoted + " (0.." + std::to_string(n.address.bits()) + ")");
    n.prefix = prefix;
  }
  if (n.address.v6 && is_v4_mapped(n.address.bytes))
    return std::unexpected("IPv4-mapped address in " + quoted + ": write the IPv4 network instead");
  if (!clear_host_bits(n.address, n.prefix))
    return std::unexpected("host bits set in " + quoted + " (did you mean \"" + n.str() + "\"?)");
  return n;
}

std::expected<std::string, std::string> parse_sha256_fingerprint(std::string_view text) {
  const std::string bad = "bad SHA-256 fingerprint \"" + std::string(text) +
                          "\" (64 hex digits, optionally in pairs separated by colons)";
  bool colons = text.find(':') != std::string_view::npos;
  if (colons && text.size() != 64 + 31) return std::unexpected(bad);
  std::string hex;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    if (colons && i % 3 == 2) {
      if (c != ':') return std::unexpected(bad);
      continue;
    }
    if (!std::isxdigit(c)) return std::unexpected(bad);
    hex += static_cast<char>(std::tolower(c));
  }
  if (hex.size() != 64) return std::unexpected(bad);
  return hex;
}

}  // namespace sm::config
