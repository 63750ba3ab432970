// assurance.h - the signed sender assurance that travels inside the sealed
// content to member recipients:
//   SecureMail-Sender-Assurance: auth=totp; sole-user=yes; identity=verified
// auth is the sign-in method (password, totp, device, recovery) plus
// strong=yes|no; identity is "verified" (level=LEVEL) or "unverified".
// The receiving gateway trusts it only inside a verified signature,
// strips it from anything else, and shows it in Authentication-Results.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sm::auth {

inline constexpr std::string_view kAssuranceHeader = "SecureMail-Sender-Assurance";

struct SenderAssurance {
  std::string auth;               // "password", "totp", "device", "recovery"
  bool strong = false;
  bool sole_user = false;
  bool identity_verified = false;
  std::string identity_level;     // when verified

  // "auth=totp; strong=yes; sole-user=yes; identity=verified; level=document"
  std::string header_value() const;
  // Strict: unknown keys, repeats, bad values -> nullopt.
  static std::optional<SenderAssurance> parse(std::string_view value);
};

}  // namespace sm::auth
