// certify_test_mail_test.cpp - the receipt requests a certification run
// sends for INT-RCPT-MALFORMED (test_mail.h): one decodes as a
// ReceiptRequest that names nobody to send a receipt to, the other does
// not decode as one at all; both carry the identifier they were given.
#include <gtest/gtest.h>
#include <openssl/cms.h>

#include "certify/test_mail.h"
#include "pki/openssl.h"

namespace sm::certify {
namespace {

const std::string kId(64, 'a');

ossl::CmsReceiptRequestPtr decoded(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::CmsReceiptRequestPtr rr(d2i_CMS_ReceiptRequest(nullptr, &p, static_cast<long>(der.size())));
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) return nullptr;
  return rr;
}

TEST(CertifyUnusableRequest, NoReceiptsToDecodesButNamesNobody) {
  std::string der = unusable_request_der(UnusableRequest::no_receipts_to, kId);
  auto rr = decoded(der);
  ASSERT_NE(rr, nullptr);
  ASN1_STRING* id = nullptr;
  int all_or_first = -1;
  STACK_OF(GENERAL_NAMES)* from = nullptr;
  STACK_OF(GENERAL_NAMES)* to = nullptr;
  CMS_ReceiptRequest_get0_values(rr.get(), &id, &all_or_first, &from, &to);
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(id)),
                        static_cast<std::size_t>(ASN1_STRING_length(id))),
            kId);
  EXPECT_EQ(all_or_first, 0);  // allReceipts
  EXPECT_EQ(from, nullptr);
  EXPECT_EQ(sk_GENERAL_NAMES_num(to), 0);
}

TEST(CertifyUnusableRequest, UndecodableIsOneDerValueButNoReceiptRequest) {
  std::string der = unusable_request_der(UnusableRequest::undecodable, kId);
  EXPECT_EQ(decoded(der), nullptr);
  // One SEQUENCE holding just the identifier: what the sender signs is well formed.
  ASSERT_EQ(der.size(), 2 + 2 + kId.size());
  EXPECT_EQ(der.substr(0, 4), std::string("\x30\x42\x04\x40", 4));
  EXPECT_EQ(der.substr(4), kId);
}

}  // namespace
}  // namespace sm::certify
