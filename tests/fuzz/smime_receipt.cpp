// smime_receipt.cpp - fuzz target: any octets arriving as a signed receipt
// (RFC 2634), the DER a member's receipt message carries, through
// smime::receipt_content_identifier and smime::verify_receipt
// (src/smime/receipt.h) against a fixed original (keys/receipt-original.der,
// a detached SignedData with a ReceiptRequest; keys/README says how it and
// the seed receipt were made with the openssl command line).
//
// Properties, what the receipt intake relies on: no crash or leak on any
// input; verify_receipt gives a check, never a local error, for bytes in
// memory; a receipt that passes names the original's identifier, the same
// one receipt_content_identifier reads; and the input taken as the
// original (the ledger's kept form, if it were damaged) is checked as
// safely, a pass still naming the good receipt's identifier.
#include <string>

#include "fixed_pki.h"
#include "fuzz.h"
#include "smime/receipt.h"

namespace {

struct Fixture {
  fuzz::FixedPki pki = fuzz::load_fixed_pki();
  std::string original = fuzz::read_all(fuzz::keys_dir() / "receipt-original.der");
  std::string good = fuzz::read_all(std::filesystem::path(SM_FUZZ_DIR) / "corpus" / "smime_receipt" / "good-receipt.der");
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

sm::smime::ReceiptOptions options() {
  sm::smime::ReceiptOptions o;
  o.trust = &fixture().pki.trust;
  o.at_time = fixture().pki.at_time;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& f = fixture();
  std::string input(fuzz::text(data, size));

  auto id = sm::smime::receipt_content_identifier(input);
  auto check = sm::smime::verify_receipt(input, f.original, options());
  FUZZ_REQUIRE(check.has_value());
  if (check->reason == sm::smime::Reason::none) {
    FUZZ_REQUIRE(id.has_value());
    FUZZ_REQUIRE(*id == check->content_identifier);
  }

  auto against = sm::smime::verify_receipt(f.good, input, options());
  FUZZ_REQUIRE(against.has_value());
  if (against->reason == sm::smime::Reason::none) {
    auto good_id = sm::smime::receipt_content_identifier(f.good);
    FUZZ_REQUIRE(good_id.has_value() && *good_id == against->content_identifier);
  }
  return 0;
}
