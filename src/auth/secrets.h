// secrets.h - the cryptographic pieces behind AccountStore (internal to the
// auth module): argon2id password strings, SHA-256 of random secrets,
// constant-time comparison, TOTP codes (RFC 6238 via liboath), and the
// random device passwords and recovery codes handed out once.
//
// libsodium and liboath are initialised once, on first use, thread-safely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace sm::auth::secrets {

// argon2id, libsodium's INTERACTIVE limits: 2 passes over 64 MiB
// (docs/mailboxes.md says why). The string carries its own parameters.
inline constexpr unsigned long long kOpsLimit = 2;
inline constexpr std::size_t kMemLimit = 64u << 20;

Result<std::string> hash_password(std::string_view password);
// True when password matches the argon2id string (false on any malformed string).
bool verify_password(const std::string& hash, std::string_view password);
// 8..1024 octets, no control characters (it ends up typed into a field):
// mailbox accounts and pickup recipients' accounts alike.
Result<> password_ok(std::string_view password);
// The string was made with other limits than today's: rehash on sign-in.
bool needs_rehash(const std::string& hash);
// A hash of a random password, verified against when the account is
// unknown or disabled so that failure costs the same work.
const std::string& dummy_hash();

// Lower-case hex SHA-256 (libsodium crypto_hash_sha256).
std::string sha256_hex(std::string_view data);
// Constant-time equality of two strings of the same length (false otherwise).
bool same(std::string_view a, std::string_view b);

// TOTP: SHA-1, 6 digits, 30 s steps.
inline constexpr std::int64_t kStep = 30;
inline constexpr int kDigits = 6;
inline constexpr std::size_t kSeedBytes = 20;
std::string random_seed();  // kSeedBytes random bytes
Result<std::string> base32(std::string_view bytes);
// The code for one step number (time / 30).
Result<std::string> totp_code(std::string_view seed, std::int64_t step);
// The step (now/30 - 1 .. now/30 + 1) whose code equals code, if any.
std::optional<std::int64_t> totp_match(std::string_view seed, std::string_view code, std::int64_t now);
bool looks_like_code(std::string_view s);  // exactly six ASCII digits

// Recovery codes: "xxxx-xxxx-xxxx" from 23456789abcdefghjkmnpqrstuvwxyz
// (no 0/o, 1/l/i look-alikes): 12 characters, about 59 bits, single use.
std::string random_recovery_code();
// The canonical form of a typed code (lower-case; dashes where they belong)
// or nullopt when it cannot be one.
std::optional<std::string> normalise_recovery_code(std::string_view typed);
inline constexpr std::size_t kRecoveryCodeLength = 14;  // with the two dashes

// Device passwords: 28 letters a-z (131 bits) in seven groups of four,
// "abcd-efgh-...". normalise_device_password drops dashes and spaces and
// lower-cases; nullopt unless 28 letters remain.
std::string random_device_password();
std::optional<std::string> normalise_device_password(std::string_view typed);

}  // namespace sm::auth::secrets
