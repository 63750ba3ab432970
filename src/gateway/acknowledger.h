// acknowledger.h - shared mailboxes that acknowledge ([[acknowledge]]):
// the sender of every verified message to such an address gets a short
// acknowledgement (the Message-ID, when it was received, the member it
// came from; nothing else of the original) from the mailbox, queued as own
// mail, so it goes back sealed when the sender is at a member.
//
// Loop and abuse rules: only for mail that passed verification
// (smime=pass; never for unverified mail), never to the null sender, never
// for a message with an Auto-Submitted field other than "no" (RFC 3834),
// and at most one per sender per [[acknowledge]] interval for each mailbox
// (ReceiptLedger::acknowledgement_due). Without a ledger nothing is sent:
// the interval could not be kept.
//
// received() runs on the crypto pool with the message being resolved;
// the acknowledgement is queued on its own (a failed commit of the
// original afterwards leaves it sent; its sender then retries and the
// interval keeps it to one).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "evidence/ledger.h"
#include "gateway/own_mail.h"
#include "mail/envelope.h"

namespace sm::gateway {

// What the acknowledgement says about the message it answers.
struct Acknowledged {
  std::string mailbox;   // the acknowledging address (From:)
  std::string sender;    // the envelope sender (To:)
  std::string message_id;  // without <>
  std::string subject;
  std::string member;    // the member it came from
  std::int64_t received_at = 0;
};
std::string compose_acknowledgement(const Acknowledged& what);

// RFC 3834: true when the header block carries Auto-Submitted with any
// value other than "no".
bool auto_submitted(std::string_view message);

class Acknowledger {
 public:
  Acknowledger(const config::Config& config, OwnMail& own_mail, std::shared_ptr<evidence::ReceiptLedger> ledger)
      : config_(config), own_mail_(own_mail), ledger_(std::move(ledger)) {}

  // A message that passed verification, sealed by `member`, is being
  // queued for these recipients of env; message: what is delivered.
  // Returns how many acknowledgements were handed to own mail.
  std::size_t received(const mail::Envelope& env, const std::vector<std::size_t>& recipients, std::string_view message,
                       const std::string& member);

 private:
  const config::Config& config_;
  OwnMail& own_mail_;
  std::shared_ptr<evidence::ReceiptLedger> ledger_;
};

}  // namespace sm::gateway
