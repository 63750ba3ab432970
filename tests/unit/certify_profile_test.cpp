// certify_profile_test.cpp - the requirements profiles: every case a
// profile lists is in the catalogue (a report line needs its spec), the
// draft profile requires only cases the runner observes itself (nothing
// that needs the test agent can be judged yet), and version comparison.
#include <gtest/gtest.h>

#include <set>

#include "certify/profile.h"

namespace sm::certify {
namespace {

TEST(CertifyProfile, EveryCaseIsInTheCatalogueOnce) {
  for (const auto& p : profiles()) {
    std::set<std::string_view> seen;
    for (const auto& c : p.cases) {
      EXPECT_NE(find_case(c.id), nullptr) << p.version << ": " << c.id;
      EXPECT_TRUE(seen.insert(c.id).second) << p.version << ": " << c.id << " twice";
    }
  }
}

TEST(CertifyProfile, DraftRequiresNothingThatNeedsTheAgent) {
  const Profile* draft = find_profile("0.9");
  ASSERT_NE(draft, nullptr);
  EXPECT_TRUE(draft->draft);
  int required = 0;
  for (const auto& c : draft->cases) {
    const CaseSpec* spec = find_case(c.id);
    ASSERT_NE(spec, nullptr);
    EXPECT_NE(spec->path, Path::trigger) << c.id;
    EXPECT_EQ(spec->needs & kNeedsAgent, 0u) << c.id;
    required += c.requirement == Requirement::required;
  }
  EXPECT_GE(required, 20);
  EXPECT_EQ(draft->requirement("SEC-TLS-VERSION"), Requirement::required);
  EXPECT_EQ(draft->requirement("OPS-CERTIFICATION"), Requirement::info);
  EXPECT_FALSE(draft->requirement("OPS-RETRY").has_value());  // needs a trigger: not in 0.9
}

TEST(CertifyProfile, Draft010KeepsEvery09CaseAndAddsTheAgentsOwn) {
  const Profile* old = find_profile("0.9");
  const Profile* next = find_profile("0.10");
  ASSERT_NE(old, nullptr);
  ASSERT_NE(next, nullptr);
  for (const auto& c : old->cases) EXPECT_EQ(next->requirement(c.id), c.requirement) << c.id;
  for (const char* id : {"INT-OUT-BASIC", "INT-OUT-BINARY", "INT-OUT-LARGE", "INT-OUT-EMPTY", "INT-OUT-UTF8",
                         "INT-IN-BINARY", "INT-IN-LARGE", "INT-IN-EMPTY", "INT-IN-UTF8", "SEC-SIGNER-EXPIRED",
                         "SEC-SIGNER-NOTYET", "SEC-SIGNER-REVOKED", "SEC-SIGNER-WRONGCA"})
    EXPECT_EQ(next->requirement(id), Requirement::required) << id;
  // What the runner cannot judge yet is in no profile.
  for (const char* id : {"OPS-RETRY", "SEC-SIGNER-WEAK", "SEC-OUT-STRIP", "INT-RCPT-OUT", "OPS-CRL-FRESH"})
    EXPECT_FALSE(next->requirement(id).has_value()) << id;
  EXPECT_EQ(compare_versions("0.10", "0.9"), 1);
}

int required_in(const Profile& p) {
  int n = 0;
  for (const auto& c : p.cases) n += c.requirement == Requirement::required;
  return n;
}

TEST(CertifyProfile, Draft011AddsTheEnginesCases) {
  const Profile* old = find_profile("0.10");
  const Profile* next = find_profile("0.11");
  ASSERT_NE(old, nullptr);
  ASSERT_NE(next, nullptr);
  EXPECT_TRUE(next->draft);
  EXPECT_NE(next->title.find("0.11"), std::string_view::npos);
  for (const auto& c : old->cases) EXPECT_EQ(next->requirement(c.id), c.requirement) << c.id;
  EXPECT_EQ(next->requirement("INT-IN-SHA384"), Requirement::required);
  EXPECT_EQ(next->requirement("INT-IN-SHA512"), Requirement::optional);
  EXPECT_EQ(next->requirement("INT-RCPT-MALFORMED"), Requirement::required);
  EXPECT_EQ(next->cases.size(), old->cases.size() + 3);
  EXPECT_EQ(required_in(*next), required_in(*old) + 2);
  EXPECT_EQ(required_in(*next), 40);  // 38 for an EC target: INT-IN-RSA-* do not apply
  // 0.10 stays as published.
  for (const char* id : {"INT-IN-SHA384", "INT-IN-SHA512", "INT-RCPT-MALFORMED"})
    EXPECT_FALSE(old->requirement(id).has_value()) << id;
  for (const char* id : {"OPS-RETRY", "SEC-SIGNER-WEAK", "SEC-OUT-STRIP", "INT-RCPT-OUT", "OPS-CRL-FRESH"})
    EXPECT_FALSE(next->requirement(id).has_value()) << id;
  EXPECT_EQ(compare_versions("0.11", "0.10"), 1);
}

TEST(CertifyProfile, Profile10IsTheDefaultAndNoDraft) {
  const Profile* old = find_profile("0.14");
  const Profile* next = find_profile("1.0");
  ASSERT_NE(old, nullptr);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(&default_profile(), next);
  EXPECT_FALSE(next->draft);
  EXPECT_TRUE(old->draft);
  // 0.14's cases as they were, SHA-512 now required too.
  for (const auto& c : old->cases)
    EXPECT_EQ(next->requirement(c.id), c.id == "INT-IN-SHA512" ? Requirement::required : c.requirement) << c.id;
  EXPECT_EQ(old->requirement("INT-IN-SHA512"), Requirement::optional);
  // The signer whose issuer publishes no CRL, only here.
  EXPECT_EQ(next->requirement("SEC-SIGNER-NOCRL"), Requirement::required);
  EXPECT_FALSE(old->requirement("SEC-SIGNER-NOCRL").has_value());
  EXPECT_EQ(required_in(*next), required_in(*old) + 2);
  EXPECT_EQ(required_in(*next), 52);  // 50 for an EC target: INT-IN-RSA-* do not apply
  EXPECT_EQ(compare_versions("1.0", "0.14"), 1);
}

TEST(CertifyProfile, Draft014AddsTheBadRecipientAndTheTargetsReceipts) {
  const Profile* old = find_profile("0.13");
  const Profile* next = find_profile("0.14");
  ASSERT_NE(old, nullptr);
  ASSERT_NE(next, nullptr);
  for (const auto& c : old->cases) EXPECT_EQ(next->requirement(c.id), c.requirement) << c.id;
  for (const char* id : {"OPS-GOOD-BAD-RCPT", "INT-RCPT-OUT", "OPS-RCPT-WITHHELD"}) {
    EXPECT_EQ(next->requirement(id), Requirement::required) << id;
    EXPECT_FALSE(old->requirement(id).has_value()) << id;
  }
  EXPECT_EQ(required_in(*next), required_in(*old) + 3);
  EXPECT_EQ(compare_versions("0.14", "0.13"), 1);
}

TEST(CertifyProfile, Draft013AddsTheWeakSigner) {
  const Profile* old = find_profile("0.12");
  const Profile* next = find_profile("0.13");
  ASSERT_NE(old, nullptr);
  ASSERT_NE(next, nullptr);
  for (const auto& c : old->cases) EXPECT_EQ(next->requirement(c.id), c.requirement) << c.id;
  EXPECT_EQ(next->requirement("SEC-SIGNER-WEAK"), Requirement::required);
  for (const char* id : {"INT-RCPT-OUT", "OPS-RCPT-WITHHELD", "OPS-GOOD-BAD-RCPT"})
    EXPECT_FALSE(next->requirement(id).has_value()) << id;
  EXPECT_EQ(required_in(*next), required_in(*old) + 1);
  EXPECT_EQ(compare_versions("0.13", "0.12"), 1);
}

TEST(CertifyProfile, Draft012AddsTheFacilitysAddressesAndDecoys) {
  const Profile* old = find_profile("0.11");
  const Profile* next = find_profile("0.12");
  ASSERT_NE(old, nullptr);
  ASSERT_NE(next, nullptr);
  for (const auto& c : old->cases) EXPECT_EQ(next->requirement(c.id), c.requirement) << c.id;
  for (const char* id : {"OPS-RETRY", "OPS-DELAY", "OPS-REFUSE", "SEC-OUT-STRIP", "SEC-OUT-BADTLS", "OPS-CRL-FRESH"})
    EXPECT_EQ(next->requirement(id), Requirement::required) << id;
  for (const char* id : {"SEC-SIGNER-WEAK", "INT-RCPT-OUT", "OPS-RCPT-WITHHELD"})
    EXPECT_FALSE(next->requirement(id).has_value()) << id;
  EXPECT_EQ(required_in(*next), required_in(*old) + 6);
  EXPECT_EQ(compare_versions("0.12", "0.11"), 1);
}

TEST(CertifyProfile, UnknownVersionsAreNotFound) {
  EXPECT_EQ(find_profile("9.9"), nullptr);
  EXPECT_EQ(find_profile(""), nullptr);
  EXPECT_EQ(find_profile("1.1"), nullptr);
  EXPECT_EQ(find_profile("1"), nullptr);
  EXPECT_EQ(&default_profile(), find_profile(default_profile().version));
}

TEST(CertifyProfile, VersionsCompareNumerically) {
  EXPECT_EQ(compare_versions("0.9", "1.0"), -1);
  EXPECT_EQ(compare_versions("1.10", "1.9"), 1);
  EXPECT_EQ(compare_versions("2.0", "2.0"), 0);
  EXPECT_FALSE(compare_versions("1", "1.0").has_value());
  EXPECT_FALSE(compare_versions("1.x", "1.0").has_value());
  EXPECT_FALSE(compare_versions("-1.0", "1.0").has_value());
}

}  // namespace
}  // namespace sm::certify
