// inbound.h - mail arriving on the inbound listener (other gateways and the
// Internet): open and verify sealed mail, recognise forgeries, and produce
// what is delivered to the organisation.
//
//   sealed (application/pkcs7-mime) and From: is a member's domain:
//     decrypt and verify (smime::open) with the directory's certificates of
//     the member owning the From: domain as the only allowed signers; the
//     envelope sender's domain must belong to that member too (or be the
//     null sender); the signed SecureMail-Envelope must match the envelope.
//     pass: the original message is restored, marked smime=pass, and
//     queued in the priority lane.
//   unsealed, or sealed for someone else, and From: is not a member's:
//     ordinary Internet mail (a user's own S/MIME passes untouched),
//     marked smime=none.
//   anything else claiming a member's From: domain is a forgery: unsealed,
//     signed by another member, altered, undecryptable, replayed to
//     another recipient. [policy] forgery decides: reject (550 5.7.x),
//     quarantine (held, smime=fail) or tag (delivered, smime=fail, subject
//     tag). A refused sealed message gets one reply whatever went wrong
//     (sealed_failure_reply). Every outcome is logged and counted
//     (securemail_inbound_total{result}, securemail_forgeries_total{reason}).
// Every Authentication-Results field naming our host that arrived with the
// message is removed before ours is added.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/envelope_binding.h"
#include "gateway/gateway_keys.h"
#include "gateway/member_certs.h"
#include "gateway/outbound.h"
#include "gateway/receipt_duty.h"
#include "gateway/replay_cache.h"
#include "mail/envelope.h"

namespace sm::gateway {

struct InboundOutcome {
  enum class Action { deliver, quarantine, reject, drop };
  Action action = Action::deliver;
  Error rejection;                     // reject: the reply
  std::string message;                 // deliver, quarantine: the final message
  std::vector<std::size_t> recipients; // deliver, quarantine: who gets it (replayed ones removed)
  mail::Lane lane = mail::Lane::normal;
  std::string result;                  // pass, fail, none
  std::string log;                     // one line for the log (without the queue id)
  std::optional<EnvelopeBinding> binding;  // the signed envelope, when the message carried one
  std::shared_ptr<ReplayClaim> claim;      // commit once the message is committed; else released
  // A sealed message that failed to open or verify: the reply is the same
  // for every cause (no oracle), sent after a delay, and counted against
  // the client (gateway/sealed_failures.h).
  bool sealed_failure = false;
  // pass (issue 13): the member that sealed it, the original's Message-ID
  // (without <>), the signed entity as received (only when
  // keep_signed_entities() was asked: the evidence) and what became of a
  // signed receipt request.
  std::string member;
  std::string message_id;
  std::string content_identifier;  // of a receipt request (hex when not printable)
  std::string signed_entity;
  DutyDecision receipt;
};

// The one reply to every sealed message that cannot be opened and verified,
// whatever the cause (undecryptable, bad padding, unsigned, bad signature,
// wrong signer, replayed elsewhere): the precise reason is in our log and
// the securemail_forgeries_total counter only.
Error sealed_failure_reply();

class Opener {
 public:
  Opener(const config::Config& config, std::shared_ptr<const GatewayKeys> keys, DirectorySnapshot directory,
         MemberCertificates& certs, ReplayCache* replays)
      : config_(config), keys_(std::move(keys)), directory_(std::move(directory)), certs_(certs), replays_(replays) {}

  // received: the message as queued (our Received: field first).
  InboundOutcome process(const mail::Envelope& env, std::string received);
  // Fill InboundOutcome::signed_entity for messages that pass.
  void keep_signed_entities() { keep_signed_ = true; }

 private:
  InboundOutcome forgery(std::string reason, std::string detail, int code, const char* enhanced, std::string message,
                         const mail::Envelope& env);
  InboundOutcome open_sealed(const directory::Member& member, const mail::Envelope& env, std::string received);

  const config::Config& config_;
  std::shared_ptr<const GatewayKeys> keys_;
  DirectorySnapshot directory_;
  MemberCertificates& certs_;
  ReplayCache* replays_;
  bool keep_signed_ = false;
};

}  // namespace sm::gateway
