// ess.h - the ESS receipt request (RFC 2634 2.7) on a CMS SignerInfo, and
// the detached form of a SignedData that both sides keep for receipts:
// adding the request when signing, reading it back when opening, and the
// SignedRecord a sender keeps.
#pragma once

#include <optional>
#include <string>

#include "pki/openssl.h"
#include "smime/engine.h"
#include "smime/receipt_request.h"
#include "util/error.h"

namespace sm::smime::detail {

// Add the ReceiptRequest signed attribute to `si` (before it is signed).
// An empty content identifier gets a fresh one; receiptsTo must name at
// least one address. Filled in `*id` (raw octets) when not null.
Result<> add_receipt_request(CMS_SignerInfo* si, const ReceiptRequest& request, std::string* id);

// SignOptions::raw_receipt_request_der: `der` as the value of an
// id-aa-receiptRequest signed attribute, as it is. It must be one DER
// value (decoded and encoded again to the same octets), so the SignedData
// stays well-formed and its signature checkable; what it holds is not
// checked.
Result<> add_raw_receipt_request(CMS_SignerInfo* si, std::string_view der);

// The request in `si`'s signed attributes. nullopt with `problem` empty:
// none asked; nullopt with `problem` set: an attribute is there but cannot
// be used (undecodable, not one value, no identifier, a receiptsFrom that
// is neither allReceipts, firstTierRecipients nor a list naming an
// rfc822Name, no rfc822Name to send it to). Such a request is not acted
// on, and never stops delivery: the message is handled as if none was made.
struct RequestFound {
  std::optional<ReceiptRequest> request;
  std::string problem;
};
RequestFound read_receipt_request(CMS_SignerInfo* si);

// `cms` (a SignedData) as DER with its eContent left out (made detached).
Result<std::string> detached_der(CMS_ContentInfo* cms);

// After the signature is made: what the sender keeps (SignOptions::record).
Result<> fill_record(CMS_ContentInfo* cms, std::string content_identifier, SignedRecord& record);

// A DER encoding of a CMS ContentInfo, parsed; null when it does not parse
// or has bytes after it.
ossl::CmsPtr parse_der_cms(std::string_view der);

}  // namespace sm::smime::detail
