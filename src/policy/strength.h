// strength.h - which mail needs strong authentication ([[strong_auth]]
// rules) and whether an inbound message meets a member's required sender
// assurance ([[require_assurance]]). The first matching rule decides.
//
// How this relates to the policy engine (issue 15, engine.h): a rule
// without marking_min is decided at RCPT on submission (550 5.7.9) and on
// receipt of verified mail (strong_hold.h). A rule with marking_min needs
// the message's protective marking (marking.h), so it does not decide at
// RCPT; outbound the engine's guard "strong-auth-NAME" applies it after
// DATA to mail from submission, and inbound StrongHolds::split applies it
// with the marking of the opened, verified message. Mail from the relay
// listener (nobody signs in) is never held to these rules outbound.
#pragma once

#include <optional>
#include <string_view>

#include "auth/assurance.h"
#include "config/config.h"
#include "policy/marking.h"

namespace sm::policy {

// "*", "*@domain", or an exact address; case-insensitive.
bool address_matches(std::string_view pattern, std::string_view address);

// The message's protective marking as far as it is known when the rules
// are tried: unknown at RCPT, else its rank on the [markings] ladder (-1:
// unmarked, which no marking_min reaches).
struct MarkingLevel {
  std::optional<int> rank;
  static MarkingLevel unknown() { return {}; }
  static MarkingLevel of(const Marking& m) { return {m.rank}; }
};

// The first [[strong_auth]] rule matching this sender, recipient, the
// other side's member id ("" when not a member) and marking, if any. A
// rule with marking_min matches only a known marking at or above it; while
// the marking is unknown it is passed over (it decides later).
const config::Config::StrongAuthRule* needs_strong(const config::Config& config, std::string_view sender,
                                                   std::string_view recipient, std::string_view member,
                                                   MarkingLevel marking);

// Does the signed assurance (nullopt: none was carried) satisfy every
// [[require_assurance]] rule for the signing member? On failure, the text
// says what was missing ("sender did not sign in strongly").
std::optional<std::string> assurance_shortfall(const config::Config& config, std::string_view member,
                                               const std::optional<auth::SenderAssurance>& assurance);

}  // namespace sm::policy
