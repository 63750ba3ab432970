// facility_replies.h - the certification facility's answering addresses
// (issue 17, docs/certification.md "The facility's test addresses"), for
// any member gateway product, not only ours: an operator sends a message
// by hand and reads what comes back. Active only in `securemail certify
// serve`. On the facility's primary domain F:
//
//   echo@F  answers each sealed, verified message from a member with a
//           signed, sealed reply to its From: address: what the facility
//           received (when, the member that sealed it, the signer's
//           verdict), the SHA-256 of the signed entity exactly as it came
//           out of the seal, and that entity itself attached
//           (application/octet-stream, base64, so no octet is altered on
//           the way back; up to 1 MiB, larger ones are answered with the
//           digest alone).
//   ping@F  answers the same way with the report alone: a quick proof
//           that sealing both ways works.
//
// The reply is own mail (own_mail.h): from echo@F or ping@F, null envelope
// sender, Auto-Submitted: auto-replied, In-Reply-To the message; sealed,
// because its recipient is a member's. Nothing else is answered:
//   - mail that is not sealed, verified member mail addressed to the one
//     address alone: refused like the test agent refuses (member_mail.h);
//   - mail with the null envelope sender or Auto-Submitted other than "no"
//     (RFC 3834 2): consumed, not answered, so two responders never loop;
//   - more than [selftest] ping_limit answers to one member in an hour:
//     451 4.7.1 (try later), not consumed.
// Each message is consumed (no signed receipt: the answer is the proof),
// never delivered to a mailbox, and counted in
// securemail_facility_replies_total{result}.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "gateway/own_mail.h"
#include "gateway/queue_sink.h"
#include "gateway/receiver.h"
#include "mail/envelope.h"
#include "util/hourly_limit.h"

namespace sm::gateway {

struct MemberMail;  // member_mail.h

class FacilityReplies {
 public:
  // Largest signed entity echo@ attaches; a larger one is answered with its digest.
  static constexpr std::size_t kAttachLimit = 1024 * 1024;

  FacilityReplies(const config::Config& config, OwnMail& own_mail) : config_(config), own_mail_(own_mail) {}

  // Is any recipient echo@ or ping@ of our primary domain?
  bool addressed(const mail::Envelope& env) const;

  // The message as received (our Received: first) from `client`.
  Result<Resolution> take(const MemberTrust& trust, SealedFailures& failures, const std::string& client,
                          const mail::Envelope& env, Received received);

  // The whole reply to `mail` (for echo@ when `echo`), received at `received_at`.
  std::string compose(const MemberMail& mail, bool echo, const std::string& received_id, std::int64_t received_at) const;

 private:
  const config::Config& config_;
  OwnMail& own_mail_;
  HourlyLimit answered_;  // per member
};

}  // namespace sm::gateway
