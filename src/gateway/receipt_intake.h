// receipt_intake.h - the sending gateway taking a signed receipt back
// (issue 13): mail on the inbound listener to config.receipt_address().
//
// The receipt message (format fixed in the design: From MAILER-DAEMON@<the
// member's primary domain>, SecureMail-Receipt-For: <recipient>,
// SecureMail-Receipt-Message-Id: <original Message-ID>, a multipart/mixed
// body whose application/pkcs7-mime; smime-type=signed-receipt part is the
// receipt in base64) must arrive sealed and pass like any member mail
// (Opener), from member M. Then: the receipt's identifier names a request
// in the ledger; SecureMail-Receipt-For is one of its recipients; M owns
// that recipient's domain and is the member the seal was for; the receipt
// verifies against the SignedData we kept, signed by one of M's
// certificates; the ledger row was still pending (settle()). Only then is
// the receipt kept as evidence and the original sender sent a DSN
// (receipt_reports.h), committed before the 250. The receipt message
// itself is consumed.
//
// Anything wrong gets one reply, `550 5.7.5 receipt refused`, whatever the
// cause; the cause is in the log line and securemail_receipts_total{result}
// (malformed, unknown, replayed, late, forged-signer, bad-signature,
// wrong-recipient, unverified). A refused receipt never yields a DSN.
// Local trouble (the ledger, the disk, our CRL) is a 451 so the member
// retries.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "directory/directory.h"
#include "evidence/evidence_store.h"
#include "evidence/ledger.h"
#include "gateway/queue_sink.h"
#include "gateway/receiver.h"
#include "pki/trust.h"

namespace sm::gateway {

// The one reply to every refused receipt.
Error receipt_refusal();

// Is this envelope (inbound) addressed to our receipt address?
bool to_receipt_address(const config::Config& config, const mail::Envelope& env);

// The parts of a receipt message that matter.
struct ReceiptMessage {
  std::string recipient;   // SecureMail-Receipt-For
  std::string message_id;  // SecureMail-Receipt-Message-Id, without <>
  std::string receipt;     // the receipt, DER
};
// Error 554 5.6.0 saying what is missing or damaged.
Result<ReceiptMessage> parse_receipt_message(std::string_view message);

// What checking one opened receipt message came to.
struct ReceiptIntake {
  std::string result;   // a securemail_receipts_total result
  std::string detail;   // for the log
  std::optional<Error> local_trouble;  // set: answer with this (4xx) instead
  std::string report;   // accepted: the DSN text for report_to ("" when the original had the null sender)
  std::string report_to;
  std::string content_identifier, recipient;  // accepted: the settled request
  bool accepted() const { return result == "accepted"; }
};

struct ReceiptChecking {
  const config::Config& config;
  const directory::Directory* directory = nullptr;
  const pki::TrustStore* trust = nullptr;
  evidence::ReceiptLedger* ledger = nullptr;
  evidence::EvidenceStore* evidence = nullptr;  // may be null: nothing kept
};

// `opened`: the receipt message as restored by Opener (it passed), from
// `member`, whose certificates have these fingerprints.
ReceiptIntake check_receipt_message(const ReceiptChecking& checking, std::string_view opened, const std::string& member,
                                    const std::vector<std::string>& fingerprints, std::int64_t now);

// Undo an accepted intake's settlement (its report could not be queued).
void reopen_request(evidence::ReceiptLedger& ledger, const ReceiptIntake& intake);

// The inbound resolution for mail to the receipt address: open and verify
// (Opener), check, and resolve to the DSN copy (or nothing) or the refusal.
// A seal that fails gets the sealed-failure answer (receiver.h), counted
// against `client` like on every other address.
Result<Resolution> take_receipt(const config::Config& config, queue::Spool& spool, const MemberTrust& trust,
                                SealedFailures& failures, const std::string& client, const mail::Envelope& env,
                                Received received);

}  // namespace sm::gateway
