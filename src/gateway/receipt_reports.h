// receipt_reports.h - what the sending gateway tells the original sender
// about a receipt it asked for (issue 13), as RFC 3464 DSNs from
// MAILER-DAEMON@<domain>:
//   confirmed: Action: delivered, Status 2.0.0, the receipt's signing time
//     and the member in X-SecureMail-Receipt-Signed / -Member, the signed
//     receipt attached as application/pkcs7-mime; smime-type=signed-receipt;
//   not confirmed ([receipts] timeout passed): Action: relayed, Status
//     2.0.0 (RFC 3464: handed to an environment that did not confirm
//     delivery; not "failed", it may well have been delivered),
//     X-SecureMail-Receipt: timed-out, and a plain explanation.
// Also the securemail_receipts_total{result} counter both sides count in.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "evidence/ledger.h"

namespace sm::gateway {

// securemail_receipts_total{result}: accepted, malformed, unknown,
// replayed, late, forged-signer, bad-signature, wrong-recipient,
// unverified, timed-out.
void count_receipt(std::string_view result);
std::int64_t receipts_counted(std::string_view result);

// The original message a report is about, as the ledger kept it.
struct ReportedSeal {
  std::string message_id;  // without <>
  std::string sender;      // gets the report (never the null sender)
  std::string envid;
  std::string member;
  std::string queue_id;    // the sealed copy's
  std::vector<evidence::SealRecord::Recipient> recipients;
};

struct ConfirmedDelivery {
  std::string recipient;      // the address the receipt confirms
  std::string orcpt;
  std::string receipt;        // DER ContentInfo
  std::int64_t signed_at = 0; // the receipt's signingTime; 0: unknown
};

Result<std::string> receipt_dsn(const config::Config& config, const ReportedSeal& seal, const ConfirmedDelivery& delivery,
                                std::int64_t now);

// One report for all the recipients of `seal` whose receipt did not come.
Result<std::string> not_confirmed_dsn(const config::Config& config, const ReportedSeal& seal, std::int64_t now);

// "24h", "90m", "45s": a timeout as the reports say it.
std::string describe_timeout(std::chrono::seconds timeout);

}  // namespace sm::gateway
