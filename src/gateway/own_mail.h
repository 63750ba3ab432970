// own_mail.h - the one way to queue a message the gateway wrote itself
// (bounces and delay notices, signed receipts, acknowledgements) from the
// null envelope sender.
//
// When the recipient's domain belongs to an active member (not one of our
// own domains) the message is sealed for that member exactly like relayed
// mail (Sealer, outbound.h): signed with our key for its From: domain -
// so own mail says From: ...@<config.domain> - encrypted to the member,
// SecureMail-Envelope bound, stored binary, sealed_for the member, in the
// priority lane. The member's gateway then verifies it (smime=pass) like
// any member mail. Anything else is queued plain as before
// (queue_local_message).
//
// Own mail to a member is never sent plain: when it cannot be sealed (no
// key of ours for the From: domain, a member without a usable
// certificate, a suspended member) nothing is queued; the reason is logged
// as an error and counted (securemail_own_mail_total{result="unsealable"}).
//
// A message with ask_receipt asks the member for a signed receipt when
// the gateway keeps a receipt ledger (keep_receipts_in): the request is
// recorded before the commit like a relayed message's, so the receipt is
// checked and reported to the message's envelope sender the same way.
//
// Sealing runs on a small pool of its own, never on the caller's (the
// event loop's) thread. `done` runs once the message is committed or has
// failed, on the queue's committer thread or that pool; then `committed`
// (the gateway's: hand the id to the delivery agent) runs with the id.
#pragma once

#include <asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "evidence/evidence_store.h"
#include "evidence/ledger.h"
#include "gateway/gateway_keys.h"
#include "gateway/local_mail.h"
#include "gateway/member_certs.h"
#include "gateway/outbound.h"
#include "queue/spool.h"

namespace sm::gateway {

// The header of a message the gateway writes (receipts, acknowledgements):
// From, To, Subject, Date, a fresh Message-ID in the From: domain,
// Auto-Submitted: auto-replied (RFC 3834: nothing answers it), MIME-Version,
// then `extra` fields as given ("Name: value", no line end). Values are
// made one line (CR, LF and other controls become spaces); the Subject is
// folded. Ends with the field block only: the caller adds Content-Type
// and the body.
struct OwnHeader {
  std::string from, to, subject;
  std::vector<std::string> extra;
  std::int64_t date = 0;  // unix seconds; 0: now
};
std::string own_header(const OwnHeader& header);
// A header value from elsewhere (a Subject, an address) as one safe line.
std::string one_line(std::string_view value);

class OwnMail {
 public:
  using Done = std::function<void(Result<std::string>)>;

  // keys, directory and certificates may be empty/null (a gateway without
  // a directory): everything is then queued plain.
  OwnMail(const config::Config& config, queue::Spool& spool, std::shared_ptr<const GatewayKeys> keys,
          DirectorySnapshot directory, MemberCertificates* certificates,
          std::function<void(const std::string&)> committed);
  ~OwnMail();  // waits for sealing in progress
  OwnMail(const OwnMail&) = delete;
  OwnMail& operator=(const OwnMail&) = delete;

  // Queue `message` (its recipient, whole text, source). done, when set,
  // gets the queue id or why nothing was queued.
  void send(LocalMessage message, Done done = {});

  // Where a receipt asked for (LocalMessage::ask_receipt) is recorded, as
  // for relayed mail (receipt_asking.h); without a ledger none is asked.
  void keep_receipts_in(std::shared_ptr<evidence::ReceiptLedger> ledger,
                        std::shared_ptr<evidence::EvidenceStore> evidence) {
    ledger_ = std::move(ledger);
    evidence_ = std::move(evidence);
  }

  // Own mail to `address` (one of ours) goes to `take` instead of the
  // queue: the test agent reads the notifications about the mail it sent.
  // Set before the first send; `take` runs on the sender's thread.
  void take_locally(std::string address, std::function<void(const LocalMessage&)> take) {
    local_address_ = std::move(address);
    take_local_ = std::move(take);
  }

 private:
  void seal_and_queue(const OutboundPlan& plan, const LocalMessage& message, const Done& done);
  void finished(const LocalMessage& message, Result<std::string> r, const Done& done);

  const config::Config& config_;
  queue::Spool& spool_;
  std::shared_ptr<const GatewayKeys> keys_;
  DirectorySnapshot directory_;
  MemberCertificates* certificates_;
  std::function<void(const std::string&)> committed_;
  std::string local_address_;
  std::function<void(const LocalMessage&)> take_local_;
  std::shared_ptr<evidence::ReceiptLedger> ledger_;
  std::shared_ptr<evidence::EvidenceStore> evidence_;
  asio::thread_pool pool_{1};
};

}  // namespace sm::gateway
