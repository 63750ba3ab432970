// receipt_asking.h - the sending gateway's half of issue 13 on the relay
// listener: which recipients of a sealed copy get an ESS receipt request,
// and what is kept for every sealed copy before it is committed.
//
// A recipient wants a receipt when its RCPT carried NOTIFY=SUCCESS (RFC
// 3461), or always with [receipts] request = "always" (a matching
// [[relay_client]]'s `receipts` overrides the gateway's). Those
// recipients' NOTIFY loses SUCCESS in the sealed copy's envelope (SUCCESS
// alone becomes NEVER): the signed receipt replaces the member's plain
// success DSN.
//
// Kept before the commit (so synced before the 250): a SealRecord in the
// receipt ledger when receipts were asked; for every sealed copy its
// signed entity as evidence (kind sent), with the authority certificate(s)
// and CRL in force (kinds authority, crl; content-addressed, so one file
// each however many messages refer to them). When the commit then fails,
// the ledger rows are forgotten (SealKeeping::after_commit).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "evidence/evidence_store.h"
#include "evidence/ledger.h"
#include "mail/envelope.h"
#include "smime/receipt_request.h"

namespace sm::gateway {

// The [receipts] request that applies to mail from this relay client
// (null: none identified).
config::Config::Receipts::Request receipt_policy(const config::Config& config,
                                                 const config::Config::RelayClient* client);

// Indexes (into env.recipients) of `group` whose sender wants a receipt.
std::vector<std::size_t> receipt_recipients(config::Config::Receipts::Request policy, const mail::Envelope& env,
                                            const std::vector<std::size_t>& group);

// RFC 3461 NOTIFY without SUCCESS: SUCCESS alone (or with NEVER) becomes
// NEVER; otherwise the other bits stay.
unsigned without_success(unsigned notify);

// In a sealed copy's envelope (the recipients of `group`, in its order),
// remove SUCCESS from the NOTIFY of those in `asked`.
void strip_success(mail::Envelope& copy, const std::vector<std::size_t>& group, const std::vector<std::size_t>& asked);

// The Message-ID of a message without <>; "" when it has none.
std::string message_id_of(std::string_view message);

// One sealed copy as it is about to be committed.
struct SealedCopy {
  std::string member;                 // the member it was sealed for
  std::string queue_id;               // the sealed copy's queue id
  std::vector<std::size_t> asked;     // env indices that asked for a receipt (empty: none)
  smime::SignedRecord record;         // filled by the seal when receipts were asked
  std::string signed_entity;          // the signed entity (evidence)
};

// Writes the ledger rows and evidence for the sealed copies of one
// message; either store may be null (not kept).
class SealKeeping {
 public:
  SealKeeping(const config::Config& config, std::shared_ptr<evidence::ReceiptLedger> ledger,
              std::shared_ptr<evidence::EvidenceStore> evidence, const config::Config::RelayClient* client,
              const mail::Envelope& env, std::string message_id, std::int64_t now);

  bool keeps_evidence() const { return evidence_ != nullptr; }
  // The request to add to a copy for these recipients: nullopt when none
  // asked or no ledger is kept (a request nobody could check is not made).
  Result<std::optional<smime::ReceiptRequest>> request_for(const std::vector<std::size_t>& asked) const;
  // Ledger row and evidence for one sealed copy. On error what this
  // SealKeeping added is forgotten again.
  Result<> keep(const SealedCopy& copy);
  // To run once the commit is over: on failure, forget the ledger rows.
  std::function<void(bool committed)> after_commit() const;

 private:
  Result<> keep_evidence(const SealedCopy& copy);
  void forget_all();

  const config::Config& config_;
  std::shared_ptr<evidence::ReceiptLedger> ledger_;
  std::shared_ptr<evidence::EvidenceStore> evidence_;
  const mail::Envelope& env_;
  std::string message_id_;
  std::int64_t now_;
  std::int64_t keep_until_;
  std::vector<std::string> added_;  // content identifiers in the ledger
};

}  // namespace sm::gateway
