// queue_file.h - the text encodings of a queued message: its envelope
// block and its delivery state. A message record of the segment log
// (segment_record.h) holds the envelope block followed by the message; a
// state record holds the state text. Both are the formats the old
// file-per-message spool used for a queue file and its state sidecar, so
// that spool converts without re-encoding:
//
//   securemail-queue 1
//   id 4F3A2B1C0D5E6000
//   sender alice+40a.example      (xtext, so every value is one token)
//   ...
//   sealed-for b-example          (only when the copy is sealed for a member)
//   lane priority                 (only for the priority lane)
//   receipt <member> <message-id> <receipts-to,...> <base64 SignedData>
//                                 (only on an opened message whose sender
//                                 asked for signed receipts; each address
//                                 xtext with ',' escaped as +2C)
//   rcpt <notify> <orcpt-xtext|-> <address-xtext>
//   <empty line>
//   <message octets, CRLF line ends, exactly as received after unstuffing>
//
// The envelope is written once and never modified. Delivery progress
// (per-recipient state and reply, attempts, next attempt) is a new state
// record each time; a lost one only means a recipient may be tried again
// (delivery is at least once).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mail/envelope.h"
#include "util/error.h"

namespace sm::queue {

// Delivery progress, kept beside the queue file.
struct DeliveryState {
  int attempts = 0;
  std::int64_t last_attempt = 0;  // unix seconds, 0 = never
  std::int64_t next_attempt = 0;  // unix seconds, 0 = as soon as possible
  bool delay_notified = false;    // a "delayed" DSN went out already
};

// The envelope block for a new queue file, ending with the empty line.
std::string format_envelope(const mail::Envelope& env);

// Parse an envelope block from the start of a queue file. On success
// body_offset is where the message starts. Error text says what is wrong.
Result<mail::Envelope> parse_envelope(std::string_view file_head, std::uint64_t& body_offset);

// Sidecar: state plus each recipient's state and last reply.
std::string format_state(const mail::Envelope& env, const DeliveryState& state);
// Applies a sidecar to env's recipients; false if it is unreadable.
bool parse_state(std::string_view text, mail::Envelope& env, DeliveryState& state);

}  // namespace sm::queue
