// gateway_certification_gap_test.cpp - the input of the
// certification-outdated alert: nothing when the feed requires nothing or
// our own entry passed that profile (or a newer one); otherwise the gap,
// naming what our entry shows, and a profile this software does not know.
#include <gtest/gtest.h>

#include "directory/directory.h"
#include "gateway/operations.h"

namespace sm::gateway {
namespace {

std::shared_ptr<const directory::Directory> feed(directory::Requirements required, directory::Certification held) {
  directory::Feed f;
  directory::Member own;
  own.id = "b-example";
  own.domains = {"b.example"};
  own.certification = std::move(held);
  f.members.push_back(own);
  f.requirements = std::move(required);
  return directory::Directory::build(std::move(f));
}

TEST(CertificationGap, NoneWhenNothingIsRequiredOrOurPassIsAtTheProfileOrNewer) {
  EXPECT_FALSE(certification_gap(*feed({}, {}), "b.example"));
  EXPECT_FALSE(certification_gap(*feed({"0.9", "2026-12-01", 90}, {"0.9", "2026-12-02", "pass"}), "b.example"));
  EXPECT_FALSE(certification_gap(*feed({"0.9", "2026-12-01", 90}, {"0.10", "2026-12-02", "pass"}), "b.example"));
}

TEST(CertificationGap, NeverCertifiedFailedOrOlderProfileIsAGap) {
  auto never = certification_gap(*feed({"0.9", "2026-12-01", 90}, {}), "b.example");
  ASSERT_TRUE(never);
  EXPECT_EQ(never->held, "never certified");
  EXPECT_EQ(never->required, "0.9");
  EXPECT_EQ(never->grace_days, 90);
  EXPECT_EQ(never->since, 1796083200);  // 2026-12-01T00:00:00Z
  EXPECT_FALSE(never->unknown_profile);
  auto failed = certification_gap(*feed({"0.9", "2026-12-01", 90}, {"0.9", "2026-12-02", "fail"}), "b.example");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->held, "profile 0.9, fail on 2026-12-02");
  EXPECT_TRUE(certification_gap(*feed({"0.9", "2026-12-01", 90}, {"0.8", "2026-11-02", "pass"}), "b.example"));
  // Not a member at all: never certified.
  EXPECT_EQ(certification_gap(*feed({"0.9", "2026-12-01", 90}, {}), "other.example")->held, "never certified");
}

TEST(CertificationGap, AProfileThisSoftwareDoesNotKnowIsAlwaysAGap) {
  auto gap = certification_gap(*feed({"7.0", "2026-12-01", 0}, {"7.0", "2026-12-02", "pass"}), "b.example");
  ASSERT_TRUE(gap);
  EXPECT_TRUE(gap->unknown_profile);
}

}  // namespace
}  // namespace sm::gateway
