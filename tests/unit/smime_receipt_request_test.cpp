// smime_receipt_request_test.cpp - receipt requests that cannot be used
// (RFC 2634 2.7): a sender that adds one as raw DER
// (SignOptions::raw_receipt_request_der, certification's capability), and
// a receiver that verifies the message as usual, reports no request, says
// why in the detail, releases the content and refuses to sign a receipt
// for it. Also: the raw attribute must be one DER value, and a well-formed
// raw request is read like any other (so the attribute is really there).
#include <openssl/cms.h>

#include "smime_receipt_support.h"
#include "util/hex.h"

using namespace smtest;

namespace {

// One DER element (definite length, short or long form).
std::string tlv(unsigned char tag, const std::string& content) {
  std::string out(1, static_cast<char>(tag));
  std::size_t n = content.size();
  if (n < 0x80) {
    out += static_cast<char>(n);
  } else {
    std::string len;
    for (; n > 0; n >>= 8) len.insert(len.begin(), static_cast<char>(n & 0xff));
    out += static_cast<char>(0x80 | len.size());
    out += len;
  }
  return out + content;
}

constexpr unsigned char kSequence = 0x30, kOctets = 0x04, kInteger = 0x02;
constexpr unsigned char kAllOrFirstTier = 0x80, kReceiptList = 0xa1;   // [0] INTEGER, [1] SEQUENCE OF
constexpr unsigned char kRfc822Name = 0x81, kDnsName = 0x82;           // GeneralName [1], [2]
const std::string kId = std::string(64, 'c');

// A ReceiptRequest (IMPLICIT tags) from its three parts.
std::string request(const std::string& from, const std::string& to_names) {
  return tlv(kSequence, tlv(kOctets, kId) + from + tlv(kSequence, to_names));
}
std::string names(const std::string& address, unsigned char kind = kRfc822Name) {
  return tlv(kSequence, tlv(kind, address));
}
const std::string kAll = tlv(kAllOrFirstTier, std::string(1, '\0'));

class RawRequest : public ReceiptTest {
 protected:
  // Sign (opaque: signed-data; else sealed, detached) with `der` as the
  // request attribute, and open it at b.
  struct Sent {
    SignedRecord record;
    Opened opened;
  };
  Sent send(const std::string& der, bool signed_only = false) {
    Sent s;
    SignOptions sign{.opaque = signed_only, .raw_receipt_request_der = der, .record = &s.record};
    OpenOptions o = options();
    if (signed_only) {
      o.require_encryption = false;
      s.opened = open_string(sign_string(msg, a.identity(), sign), o);
    } else {
      SealOptions so;
      so.sign = sign;
      s.opened = open_string(seal_string(msg, a.identity(), {b.recipient()}, so), o);
    }
    return s;
  }

  // Verified and released as if nothing was asked; `why` in the detail;
  // and no receipt can be signed for it.
  void expect_not_acted_on(const Sent& s, const std::string& why) {
    const Verdict& v = s.opened.verdict;
    EXPECT_EQ(v.reason, Reason::none) << v.detail;
    EXPECT_FALSE(v.receipt_request.has_value());
    EXPECT_TRUE(v.signed_data.empty());
    EXPECT_NE(v.detail.find(why), std::string::npos) << v.detail;
    EXPECT_NE(v.detail.find("no receipt will be sent"), std::string::npos) << v.detail;
    EXPECT_TRUE(s.opened.released == msg);
    auto receipt = sign_receipt(s.record.signed_data, b.identity());
    ASSERT_FALSE(receipt.has_value());
    EXPECT_EQ(receipt.error().code, 554) << receipt.error().text;
  }
};

TEST_F(RawRequest, WellFormedRawRequestIsReadLikeAnyOther) {
  Sent s = send(request(kAll, names("receipts@a.example")));
  ASSERT_EQ(s.opened.verdict.reason, Reason::none) << s.opened.verdict.detail;
  ASSERT_TRUE(s.opened.verdict.receipt_request.has_value()) << s.opened.verdict.detail;
  EXPECT_EQ(s.opened.verdict.receipt_request->content_identifier, kId);
  EXPECT_EQ(s.opened.verdict.receipt_request->receipts_to, std::vector<std::string>{"receipts@a.example"});
  EXPECT_TRUE(sign_receipt(s.opened.verdict.signed_data, b.identity()).has_value());
}

TEST_F(RawRequest, EmptyReceiptsToIsNotActedOn) {
  for (bool signed_only : {false, true}) {
    SCOPED_TRACE(signed_only ? "signed only" : "sealed");
    expect_not_acted_on(send(request(kAll, ""), signed_only), "names no address");
  }
  // Names, but none an rfc822Name.
  expect_not_acted_on(send(request(kAll, names("a.example", kDnsName))), "names no address");
}

TEST_F(RawRequest, UndecodableRequestIsNotActedOn) {
  const std::string undecodable[] = {
      tlv(kSequence, tlv(kOctets, kId)),                     // truncated: receiptsFrom and receiptsTo missing
      tlv(kOctets, "not a ReceiptRequest"),                  // not a SEQUENCE at all
      tlv(kSequence, tlv(kInteger, "\x01") + kAll),          // wrong types inside
      std::string("\x05\x00", 2),                            // NULL
      tlv(kSequence, ""),                                    // empty
  };
  for (const auto& der : undecodable) {
    SCOPED_TRACE(to_hex(reinterpret_cast<const unsigned char*>(der.data()), der.size()));
    expect_not_acted_on(send(der), "receipt request unreadable");
  }
}

TEST_F(RawRequest, ReceiptsFromThatNamesNobodyOrIsUnknownIsNotActedOn) {
  // "receipts from these" naming no address is not "receipts from all".
  expect_not_acted_on(send(request(tlv(kReceiptList, ""), names("receipts@a.example"))), "names no address");
  expect_not_acted_on(send(request(tlv(kReceiptList, names("a.example", kDnsName)), names("receipts@a.example"))),
                      "names no address");
  expect_not_acted_on(send(request(tlv(kAllOrFirstTier, "\x05"), names("receipts@a.example"))),
                      "neither allReceipts nor firstTierRecipients");
  // firstTierRecipients (we are first tier) and a named sender are usable.
  EXPECT_TRUE(send(request(tlv(kAllOrFirstTier, "\x01"), names("r@a.example"))).opened.verdict.receipt_request);
  EXPECT_TRUE(send(request(tlv(kReceiptList, names("bob@b.example")), names("r@a.example"))).opened.verdict.receipt_request);
}

TEST_F(RawRequest, OpensslVerifiesTheSignatureOverAnUnusableRequest) {
  // The attribute is signed like any other: another implementation agrees.
  TempDir dir;
  for (const auto& der : {request(kAll, ""), tlv(kSequence, tlv(kOctets, kId))}) {
    spit(dir.path / "signed.eml", sign_string(msg, a.identity(), {.raw_receipt_request_der = der}));
    int rc = -1;
    std::string log = run("openssl cms -verify -noverify -in '" + (dir.path / "signed.eml").string() + "' -out '" +
                              (dir.path / "content.eml").string() + "' 2>&1",
                          &rc);
    EXPECT_EQ(rc, 0) << log;
    EXPECT_TRUE(slurp(dir.path / "content.eml") == msg);
  }
}

TEST_F(RawRequest, RawValueMustBeOneDerValueAndAlone) {
  auto fails = [&](SignOptions so) {
    ossl::BioPtr out(BIO_new(BIO_s_mem()));
    return !sign(MessageSource::memory(msg), out.get(), a.identity(), so).has_value();
  };
  const std::string good = request(kAll, names("receipts@a.example"));
  EXPECT_TRUE(fails({.raw_receipt_request_der = std::string("\x30\x05\x04\x01", 4)}));  // cut short
  EXPECT_TRUE(fails({.raw_receipt_request_der = good + std::string(1, '\0')}));          // something after it
  EXPECT_TRUE(fails({.raw_receipt_request_der = std::string("\x04\x81\x01x", 4)}));      // BER, not DER
  EXPECT_TRUE(fails({.raw_receipt_request_der = std::string()}));
  EXPECT_TRUE(fails({.receipt_request = ReceiptRequest{"", true, {}, {"r@a.example"}},
                     .raw_receipt_request_der = good}));                                 // both
  EXPECT_FALSE(fails({.raw_receipt_request_der = good}));
}

}  // namespace
