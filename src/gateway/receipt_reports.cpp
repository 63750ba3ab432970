// receipt_reports.cpp - composing the receipt DSNs (see receipt_reports.h).
#include "gateway/receipt_reports.h"

#include "mime/dsn.h"
#include "mime/header.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::LabeledCounter receipts_total("securemail_receipts_total", "Signed receipts by what became of them", "result",
                                       {"accepted", "malformed", "unknown", "replayed", "late", "forged-signer",
                                        "bad-signature", "wrong-recipient", "unverified", "timed-out"});

// The report's frame: who it is about and to, from MAILER-DAEMON@<domain>.
mime::DsnReport report_for(const config::Config& config, const ReportedSeal& seal, std::int64_t now) {
  mime::DsnReport r;
  r.reporting_mta = config.hostname;
  r.from = "MAILER-DAEMON@" + config.domain;
  r.now = now;
  r.envelope.id = seal.queue_id;
  r.envelope.sender = seal.sender;
  r.envelope.envid = seal.envid;
  if (!seal.message_id.empty()) r.original_headers = "Message-ID: <" + seal.message_id + ">\r\n";
  return r;
}

mail::Recipient recipient_of(const std::string& address, const std::string& orcpt) {
  mail::Recipient r;
  r.address = address;
  r.orcpt = orcpt;
  return r;
}

}  // namespace

void count_receipt(std::string_view result) { receipts_total.add(result); }
std::int64_t receipts_counted(std::string_view result) { return receipts_total.value(result); }

std::string describe_timeout(std::chrono::seconds timeout) {
  auto s = timeout.count();
  if (s > 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s > 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

Result<std::string> receipt_dsn(const config::Config& config, const ReportedSeal& seal, const ConfirmedDelivery& delivery,
                                std::int64_t now) {
  mime::DsnReport r = report_for(config, seal, now);
  r.envelope.recipients.push_back(recipient_of(delivery.recipient, delivery.orcpt));
  mime::DsnRecipient d{0, mime::DsnAction::delivered};
  d.last_attempt = delivery.signed_at;
  if (delivery.signed_at) d.extra_fields.push_back("X-SecureMail-Receipt-Signed: " + mime::format_date(delivery.signed_at));
  d.extra_fields.push_back("X-SecureMail-Receipt-Member: " + seal.member);
  d.diagnostic = "signed receipt from member " + seal.member;
  r.recipients.push_back(std::move(d));
  r.explanation = "Your message" + (seal.message_id.empty() ? std::string() : " <" + seal.message_id + ">") +
                  " reached <" + delivery.recipient + ">: the gateway of member " + seal.member +
                  " decrypted it, verified its signature, handed it over and signed the attached receipt" +
                  (delivery.signed_at ? " on " + mime::format_date(delivery.signed_at) : std::string()) +
                  ". This says nothing about whether anyone has read it.";
  r.extra_parts.push_back({"application/pkcs7-mime; smime-type=signed-receipt; name=\"receipt.p7m\"", "receipt.p7m",
                           delivery.receipt});
  return mime::compose_dsn(r);
}

Result<std::string> not_confirmed_dsn(const config::Config& config, const ReportedSeal& seal, std::int64_t now) {
  mime::DsnReport r = report_for(config, seal, now);
  const std::string within = describe_timeout(config.receipts.timeout);
  std::string who;
  for (const auto& rc : seal.recipients) {
    r.recipients.push_back({r.envelope.recipients.size(), mime::DsnAction::relayed});
    r.recipients.back().extra_fields.push_back("X-SecureMail-Receipt: timed-out");
    r.recipients.back().diagnostic = "no signed receipt from member " + seal.member + " within " + within;
    r.envelope.recipients.push_back(recipient_of(rc.address, rc.orcpt));
    who += (who.empty() ? "<" : ", <") + rc.address + ">";
  }
  r.explanation = "Delivery to " + who + " was not confirmed: no signed receipt arrived from member " + seal.member +
                  " within " + within + ". The message was handed to that member's gateway" +
                  (seal.message_id.empty() ? std::string() : " (Message-ID <" + seal.message_id + ">)") +
                  " and may well have been delivered; it was not confirmed.";
  return mime::compose_dsn(r);
}

}  // namespace sm::gateway
