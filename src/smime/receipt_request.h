// receipt_request.h - the plain data of an ESS receipt request (RFC 2634
// 2.7) and of a signature we made, shared by the sign/seal options, the
// open verdict and receipt.h. No OpenSSL types: these travel into queue
// envelopes and SQLite.
#pragma once

#include <string>
#include <vector>

#include "util/error.h"

namespace sm::smime {

// An ESS ReceiptRequest (RFC 2634 2.7). We always ask receiptsFrom
// allReceipts; a request we read may say firstTier or list addresses
// (receipts_from_all false, receipts_from holding them).
struct ReceiptRequest {
  std::string content_identifier;        // signedContentIdentifier, raw octets
  bool receipts_from_all = true;
  std::vector<std::string> receipts_from;  // rfc822Name entries when not all
  std::vector<std::string> receipts_to;    // rfc822Name entries (addresses)
};

// A fresh signedContentIdentifier: 32 random octets, printable so it can
// go into logs and SQLite as it is (hex, 64 characters).
Result<std::string> new_content_identifier();

// Filled by sign()/seal() when SignOptions::record is set.
struct SignedRecord {
  std::string signed_data;  // DER ContentInfo (SignedData) with eContent left out
  std::string content_identifier;  // of the receipt request, when one was added
  std::string signature_value;     // hex of the SignerInfo signature (logs, evidence index)
};

}  // namespace sm::smime
