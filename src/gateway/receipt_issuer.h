// receipt_issuer.h - the receiving gateway's signed receipts (RFC 2634):
// once a sealed message whose signer asked for receipts (Envelope::receipt,
// set by the inbound listener after the message was decrypted and
// verified) has been handed over for a recipient (Maildir file written,
// 250 from the internal server), sign a receipt for that recipient and send
// it back as own mail, sealed to the member that asked.
//
// One receipt per recipient: each recipient's copy is handed over on its
// own (possibly hours apart, after retries), and the receipt message names
// the recipient it confirms (SecureMail-Receipt-For) inside our signature.
//
// The receipt message (the format both sides agree on): From:
// MAILER-DAEMON@<our primary domain>, To: the receiptsTo address, Subject
// "Signed receipt: <original subject or Message-ID>", Auto-Submitted:
// auto-replied, SecureMail-Receipt-For: <recipient>,
// SecureMail-Receipt-Message-Id: <original Message-ID in <>>; a
// multipart/mixed body: one sentence of text/plain (nothing of the
// original), then the receipt DER as application/pkcs7-mime;
// smime-type=signed-receipt; name="receipt.p7m", base64, attachment.
//
// Signing runs on a pool thread of its own. Each receipt is logged
// ("<id>: to=<rcpt>: signed receipt for <message-id> sent to <receipts-to>
// as <queue id>") and counted (securemail_receipts_signed_total; failures
// in securemail_receipts_unsigned_total).
//
// Not durable across a crash: the duty lives in the delivered message's
// queue envelope, which is removed once every recipient is handed over;
// a crash between the hand-over and the receipt message's commit loses
// that receipt. The sender's gateway then sends its sender the "delivery
// not confirmed" report after [receipts] timeout, which is still true.
#pragma once

#include <asio/thread_pool.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/gateway_keys.h"
#include "gateway/own_mail.h"
#include "queue/spool.h"

namespace sm::gateway {

struct ReceiptMessage {
  std::string from_domain;   // our primary domain
  std::string receipts_to;
  std::string recipient;     // the recipient it confirms
  std::string message_id;    // the original's, without <>
  std::string subject;       // the original's; "" when it had none
  std::string receipt;       // DER ContentInfo from smime::sign_receipt
  std::int64_t date = 0;     // 0: now
};
std::string compose_receipt_message(const ReceiptMessage& receipt);

class ReceiptIssuer {
 public:
  ReceiptIssuer(const config::Config& config, std::shared_ptr<const GatewayKeys> keys, OwnMail& own_mail)
      : config_(config), keys_(std::move(keys)), own_mail_(own_mail) {}
  ~ReceiptIssuer();  // waits for signing in progress
  ReceiptIssuer(const ReceiptIssuer&) = delete;
  ReceiptIssuer& operator=(const ReceiptIssuer&) = delete;

  // The DeliveryAgent's hook (on_handed_over): m carries a receipt duty;
  // these recipients were handed over. Returns at once.
  void handed_over(const queue::QueuedMessage& m, const std::vector<std::size_t>& recipients);

 private:
  void issue(const queue::QueuedMessage& m, const std::vector<std::size_t>& recipients);

  const config::Config& config_;
  std::shared_ptr<const GatewayKeys> keys_;
  OwnMail& own_mail_;
  asio::thread_pool pool_{1};
};

}  // namespace sm::gateway
