// receipt_issuer.cpp - sign one receipt per handed-over recipient and send it.
#include "gateway/receipt_issuer.h"

#include <asio/post.hpp>
#include <random>

#include "mime/header.h"
#include "smime/receipt.h"
#include "util/base64.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::Counter receipts_signed_total("securemail_receipts_signed_total", "Signed receipts queued for members");
metrics::Counter receipts_unsigned_total("securemail_receipts_unsigned_total",
                                         "Signed receipts due that could not be signed or queued");

constexpr std::size_t kHeaderLimit = 256 * 1024;  // the original's header, for its Subject

}  // namespace

std::string compose_receipt_message(const ReceiptMessage& r) {
  const std::string id = r.message_id.empty() ? std::string() : "<" + one_line(r.message_id) + ">";
  OwnHeader h;
  h.from = "MAILER-DAEMON@" + r.from_domain;
  h.to = r.receipts_to;
  h.subject = "Signed receipt: " + (!r.subject.empty() ? r.subject : !id.empty() ? id : std::string("(no subject)"));
  h.date = r.date;
  std::random_device rd;
  const std::string boundary = "=_securemail-receipt-" + std::to_string(rd()) + std::to_string(rd());
  h.extra = {"SecureMail-Receipt-For: " + r.recipient, "Content-Type: multipart/mixed; boundary=\"" + boundary + "\""};
  if (!id.empty()) h.extra.insert(h.extra.begin() + 1, "SecureMail-Receipt-Message-Id: " + id);
  std::string m = own_header(h) + "\r\n";
  m += "--" + boundary + "\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
  m += "The message " + (id.empty() ? std::string("(without a Message-ID)") : id) + " was delivered to <" +
       one_line(r.recipient) + ">, decrypted and its signature verified; the signed receipt (RFC 2634) is attached.\r\n";
  m += "--" + boundary + "\r\n";
  m += "Content-Type: application/pkcs7-mime; smime-type=signed-receipt; name=\"receipt.p7m\"\r\n";
  m += "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"receipt.p7m\"\r\n\r\n";
  m += base64_lines(r.receipt);
  m += "--" + boundary + "--\r\n";
  return m;
}

ReceiptIssuer::~ReceiptIssuer() { pool_.join(); }

void ReceiptIssuer::handed_over(const queue::QueuedMessage& m, const std::vector<std::size_t>& recipients) {
  asio::post(pool_, [this, m, recipients] { issue(m, recipients); });
}

void ReceiptIssuer::issue(const queue::QueuedMessage& m, const std::vector<std::size_t>& recipients) {
  const std::string& id = m.envelope.id;
  const mail::ReceiptDuty& duty = *m.envelope.receipt;
  auto failed = [&](const std::string& rcpt, const std::string& why) {
    receipts_unsigned_total.add();
    log::error("{}: to=<{}>: signed receipt for <{}> not sent: {}", id, rcpt, duty.message_id, why);
  };
  const pki::KeySet* key = keys_ ? keys_->signer_for(config_.domain) : nullptr;
  std::string subject;
  if (auto header = mime::HeaderBlock::parse(read_queued(m, kHeaderLimit)))
    if (auto s = header->get("Subject")) subject = std::string(*s);
  for (auto i : recipients) {
    const std::string& rcpt = m.envelope.recipients.at(i).address;
    if (!key) {
      failed(rcpt, "this gateway holds no key for its domain " + config_.domain);
      continue;
    }
    auto receipt = smime::sign_receipt(duty.signed_data, keys_->identity(*key));
    if (!receipt) {
      failed(rcpt, receipt.error().text);
      continue;
    }
    for (const auto& to : duty.receipts_to) {
      ReceiptMessage message{config_.domain, to, rcpt, duty.message_id, subject, *receipt, 0};
      own_mail_.send(LocalMessage{"receipt", to, compose_receipt_message(message), 0, false},
                     [id, rcpt, to, message_id = duty.message_id](Result<std::string> r) {
                       if (!r) {
                         receipts_unsigned_total.add();
                         return;  // own mail logged why
                       }
                       receipts_signed_total.add();
                       log::info("{}: to=<{}>: signed receipt for <{}> sent to <{}> as {}", id, rcpt, message_id, to, *r);
                     });
    }
  }
}

}  // namespace sm::gateway
