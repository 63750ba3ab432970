// client_identity.h - the value syntaxes that identify a relay client
// ([[relay_client]] networks and certificates): IP addresses, networks in
// CIDR notation, and SHA-256 certificate fingerprints.
//
// The config loader uses them to check and normalise the file; the gateway
// uses the same code to match a connecting client, so what the file means
// and what the gateway does can never drift apart. Pure functions: no
// sockets, no DNS.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace sm::config {

// An IPv4 or IPv6 address in network byte order (IPv4 in the first 4 bytes).
struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};

  unsigned bits() const { return v6 ? 128 : 32; }
  std::string str() const;  // inet_ntop form: "192.0.2.1", "2001:db8::1"
  bool operator==(const IpAddress&) const = default;
};

// A peer address as a socket reports it. An IPv4-mapped IPv6 address
// ("::ffff:192.0.2.1", from a dual-stack listener) becomes the IPv4 address;
// a zone ("fe80::1%eth0") is ignored. Error: the reason, for logs.
std::expected<IpAddress, std::string> parse_ip_address(std::string_view text);

// "ADDRESS/PREFIX" or a bare address (a host: /32 or /128).
struct Network {
  IpAddress address;  // host bits are zero
  unsigned prefix = 0;

  bool contains(const IpAddress& a) const;
  // Canonical form: "192.0.2.0/24", "2001:db8::/32"; a host prints without
  // its prefix ("192.0.2.7", "2001:db8::1").
  std::string str() const;
  bool operator==(const Network&) const = default;
};

// Like Postfix mynetworks, but strict: host bits set ("10.1.2.3/24") are
// an error that names the network meant, and IPv4-mapped IPv6 networks are
// refused (peers are matched in their IPv4 form).
std::expected<Network, std::string> parse_network(std::string_view text);

// A SHA-256 fingerprint as "openssl x509 -fingerprint -sha256" prints it
// (AB:CD:...) or as plain hex, any case -> 64 lower-case hex digits.
std::expected<std::string, std::string> parse_sha256_fingerprint(std::string_view text);

}  // namespace sm::config
