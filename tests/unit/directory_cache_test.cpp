// directory_cache_test.cpp - the certificate cache on its own: an entry
// counts only within the certificate's validity, only when a CRL now in
// use was used for it, only under the trust state it was found under; and
// the journal of changes the replica writes to disk.
#include <gtest/gtest.h>

#include "directory/certificate_cache.h"

namespace sm::directory {
namespace {

CertificateFacts facts(bool crl_checked = true) { return {100, 200, crl_checked, {"a.example"}}; }

TEST(CertificateCache, FindsOnlyWhatStillHolds) {
  CertificateCache cache;
  cache.bind("trust-1");
  cache.insert("digest-a", facts());
  cache.insert("digest-b", facts(false));
  ASSERT_NE(cache.find("digest-a", 150, true), nullptr);
  EXPECT_EQ(cache.find("digest-a", 150, true)->dns_names, std::vector<std::string>{"a.example"});
  EXPECT_EQ(cache.find("digest-a", 99, false), nullptr);   // before notBefore
  EXPECT_EQ(cache.find("digest-a", 201, false), nullptr);  // after notAfter
  EXPECT_EQ(cache.find("digest-x", 150, false), nullptr);
  EXPECT_NE(cache.find("digest-b", 150, false), nullptr);
  EXPECT_EQ(cache.find("digest-b", 150, true), nullptr);   // a CRL is in use now, was not then
  cache.bind("trust-1");
  EXPECT_EQ(cache.size(), 2u);
  cache.bind("trust-2");  // new anchors or CRLs: nothing known any more
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.find("digest-a", 150, false), nullptr);
}

TEST(CertificateCache, JournalsChangesForTheDisk) {
  CertificateCache cache;
  cache.bind("trust-1");
  cache.insert("a", facts());
  cache.insert("b", facts());
  auto first = cache.take_changes();
  EXPECT_TRUE(first.cleared);
  EXPECT_EQ(first.trust_state, "trust-1");
  EXPECT_EQ(first.added.size(), 2u);
  EXPECT_TRUE(first.removed.empty());

  cache.insert("c", facts());
  cache.retain({"b", "c"});
  auto second = cache.take_changes();
  EXPECT_FALSE(second.cleared);
  ASSERT_EQ(second.added.size(), 1u);
  EXPECT_EQ(second.added[0].first, "c");
  EXPECT_EQ(second.removed, std::vector<std::string>{"a"});
  EXPECT_TRUE(cache.take_changes().added.empty());

  CertificateCache restored;  // as the replica reloads it: no changes to write back
  restored.restore("trust-1", "b", facts());
  restored.bind("trust-1");
  EXPECT_EQ(restored.size(), 1u);
  auto none = restored.take_changes();
  EXPECT_FALSE(none.cleared);
  EXPECT_TRUE(none.added.empty());
}

}  // namespace
}  // namespace sm::directory
