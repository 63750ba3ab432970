// strength.h - which mail needs strong authentication ([[strong_auth]]
// rules) and whether an inbound message meets a member's required sender
// assurance ([[require_assurance]]). The first matching rule decides; the
// policy engine (issue 15) will take these in as conditions of its rules.
#pragma once

#include <optional>
#include <string_view>

#include "auth/assurance.h"
#include "config/config.h"

namespace sm::policy {

// "*", "*@domain", or an exact address; case-insensitive.
bool address_matches(std::string_view pattern, std::string_view address);

// The first [[strong_auth]] rule matching this sender, recipient and the
// other side's member id ("" when not a member), if any.
const config::Config::StrongAuthRule* needs_strong(const config::Config& config, std::string_view sender,
                                                   std::string_view recipient, std::string_view member);

// Does the signed assurance (nullopt: none was carried) satisfy every
// [[require_assurance]] rule for the signing member? On failure, the text
// says what was missing ("sender did not sign in strongly").
std::optional<std::string> assurance_shortfall(const config::Config& config, std::string_view member,
                                               const std::optional<auth::SenderAssurance>& assurance);

}  // namespace sm::policy
