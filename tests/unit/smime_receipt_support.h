// smime_receipt_support.h - shared by smime_receipt_test and
// smime_receipt_interop_test: a sender a.example that seals to b.example
// asking for a receipt, keeping what it signed, and b opening it.
#pragma once

#include "smime/receipt.h"
#include "smime_fixture.h"

namespace smtest {

inline const std::string kReceiptsTo = "securemail-receipts@a.example";

// What a sealing with a receipt request gave: the message, the sender's
// record, the signed entity it kept, and what b's open() found.
struct AskedReceipt {
  std::string id;  // the request's content identifier
  std::string sealed;
  SignedRecord record;
  std::string signed_copy;
  Opened opened;
  std::string signed_out;
};

class ReceiptTest : public Receiving {
 protected:
  // Seal `message` (default msg) from a to b with a receipt request.
  AskedReceipt ask(bool opaque = false, const std::string& message = {}) {
    AskedReceipt r;
    r.id = new_content_identifier().value();
    SealOptions so;
    so.sign.opaque = opaque;
    so.sign.receipt_request = ReceiptRequest{r.id, true, {}, {kReceiptsTo}};
    so.sign.record = &r.record;
    ossl::BioPtr copy(BIO_new(BIO_s_mem()));
    so.signed_copy = copy.get();
    r.sealed = seal_string(message.empty() ? msg : message, a.identity(), {b.recipient()}, so);
    r.signed_copy = bio_string(copy.get());
    ossl::BioPtr out(BIO_new(BIO_s_mem()));
    OpenOptions o = options();
    o.signed_out = out.get();
    r.opened = open_string(r.sealed, o);
    r.signed_out = bio_string(out.get());
    return r;
  }

  // b's receipt for what it opened.
  std::string receipt_for(const AskedReceipt& r, const Gateway& signer) {
    auto receipt = sign_receipt(r.opened.verdict.signed_data, signer.identity());
    EXPECT_TRUE(receipt.has_value()) << (receipt ? "" : receipt.error().text);
    return receipt.value_or(std::string());
  }

  ReceiptCheck check(const std::string& receipt, const std::string& original,
                     std::vector<std::string> allowed = {}) {
    ReceiptOptions ro;
    ro.trust = &trust;
    ro.allowed_signer_fingerprints = std::move(allowed);
    auto c = verify_receipt(receipt, original, ro);
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().text);
    return c.value_or(ReceiptCheck{});
  }
};

}  // namespace smtest
