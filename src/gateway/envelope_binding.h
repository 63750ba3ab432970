// envelope_binding.h - the SMTP envelope, signed inside the sealed message.
//
// S/MIME signs the message, not the envelope: a captured sealed message
// could be replayed to another recipient of the same gateway and would
// still verify. So the sealing gateway adds one header field in front of
// the original message before signing it:
//
//   SecureMail-Envelope: v=1; id=<128-bit hex>; t=<unix time>;
//     from=<xtext sender>; to=<xtext rcpt>,<xtext rcpt>...
//
// The receiving gateway reads it from the verified content and refuses
// (550 5.7.1) a message whose envelope sender differs, that names a
// recipient the seal was not made for, or that is older than
// [policy] replay_window; a seal id it has already delivered to a
// recipient is dropped for that recipient (a retry after a lost reply, or
// a replay). The field is removed again before delivery, so the user gets
// the original message byte for byte. Addresses are xtext (RFC 3461), so
// any local part fits one token.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/envelope.h"
#include "util/error.h"

namespace sm::gateway {

inline constexpr std::string_view kEnvelopeField = "SecureMail-Envelope";

struct EnvelopeBinding {
  std::string seal_id;   // 32 lower-case hex digits
  std::int64_t sealed_at = 0;
  std::string sender;    // envelope sender, "" for the null sender
  std::vector<std::string> recipients;
};

// A new binding for these recipients of env (fresh random seal id, now).
EnvelopeBinding bind_envelope(const mail::Envelope& env, const std::vector<std::size_t>& recipients);

// The complete header field, folded, ending in CRLF.
std::string format_binding(const EnvelopeBinding& binding);

// The field's value (unfolded) back; nullopt when it is not one we wrote.
std::optional<EnvelopeBinding> parse_binding(std::string_view value);

// If the message starts with a SecureMail-Envelope field, its parsed value
// and the message without it; else nullopt and the message untouched.
// A field that is present but unreadable is an error (5.7.1).
Result<std::optional<EnvelopeBinding>> take_binding(std::string& message);

// Does the envelope this message arrived with match the binding? Checks
// the sender (case-insensitive domain), that every recipient was bound,
// and the age against window (and no more than 1 hour in the future).
Result<void> check_binding(const EnvelopeBinding& binding, const mail::Envelope& env, std::int64_t now,
                           std::chrono::seconds window);

}  // namespace sm::gateway
