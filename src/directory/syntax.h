// syntax.h - the shapes of the values a directory entry holds (module
// internal: json.cpp, directory.cpp and registry.cpp use it): member ids,
// domains, endpoints, jurisdictions, contact addresses and feed times.
// Pure functions over text; they never allocate except where they return
// a string.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sm::directory::detail {

// [a-z0-9][a-z0-9.-]*, at most 64 characters.
bool is_member_id(std::string_view id);
// A lower-case DNS host name: LDH labels of 1..63 octets, no leading or
// trailing hyphen, at most 253 octets, no trailing dot.
bool is_domain(std::string_view domain);
// "host:port" (host name, IPv4 or [IPv6] literal; port 1..65535).
bool is_endpoint(std::string_view endpoint);
// ISO 3166-1 alpha-2, upper-case ("NZ"), or empty.
bool is_jurisdiction(std::string_view code);
// local@domain, printable ASCII without spaces, one line.
bool is_contact(std::string_view address);

// "2026-11-23T12:00:00Z" <-> unix seconds (years 1970..9999).
std::optional<std::int64_t> parse_iso_time(std::string_view text);
// "2026-11-23": a valid calendar date.
bool is_iso_date(std::string_view text);

char ascii_lower(char c);
std::string to_lower(std::string_view text);

}  // namespace sm::directory::detail
