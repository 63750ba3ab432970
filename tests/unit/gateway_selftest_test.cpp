// gateway_selftest_test.cpp - what a self-test run concludes from its
// pings and local checks: the facility ping must be answered; one member
// answering is enough (one member down is its problem); no facility or no
// member is INFO; any failed local check fails the run.
#include <gtest/gtest.h>

#include "gateway/selftest.h"

namespace sm::gateway {
namespace {

SelfTestRun run_with(std::vector<SelfTestPing> pings) {
  SelfTestRun r;
  r.started = 1000;
  r.result = "running";
  r.pings = std::move(pings);
  return r;
}

const std::vector<SelfTestCheck> kLocalOk = {
    {"certificates", "pass", ""}, {"crl", "pass", ""}, {"directory", "pass", ""}};

std::string result_of(const SelfTestRun& r, const std::string& check) {
  for (const auto& c : r.checks)
    if (c.name == check) return c.result;
  return "(none)";
}

TEST(SelfTestConclude, AllAnsweredPasses) {
  auto r = SelfTest::conclude(run_with({{"facility-example", "facility.example", "n1", true, 1000, 1003},
                                        {"a-example", "a.example", "n2", false, 1000, 1002}}),
                              kLocalOk, 1010);
  EXPECT_EQ(r.result, "pass");
  EXPECT_EQ(r.finished, 1010);
  EXPECT_EQ(result_of(r, "facility-ping"), "pass");
  EXPECT_EQ(result_of(r, "member-ping"), "pass");
}

TEST(SelfTestConclude, ASilentFacilityFailsOneSilentMemberOfTwoDoesNot) {
  auto r = SelfTest::conclude(run_with({{"facility-example", "facility.example", "n1", true, 1000, 0},
                                        {"a-example", "a.example", "n2", false, 1000, 1002},
                                        {"c-example", "c.example", "n3", false, 1000, 0}}),
                              kLocalOk, 1900);
  EXPECT_EQ(r.result, "fail");
  EXPECT_EQ(result_of(r, "facility-ping"), "fail");
  EXPECT_EQ(result_of(r, "member-ping"), "pass");
  for (const auto& c : r.checks) {
    if (c.name == "member-ping") {
      EXPECT_NE(c.detail.find("no pong: c-example"), std::string::npos) << c.detail;
    }
  }
}

TEST(SelfTestConclude, EveryMemberSilentFailsNothingToPingIsInfo) {
  auto silent = SelfTest::conclude(run_with({{"a-example", "a.example", "n2", false, 1000, 0}}), kLocalOk, 1900);
  EXPECT_EQ(silent.result, "fail");
  EXPECT_EQ(result_of(silent, "member-ping"), "fail");
  EXPECT_EQ(result_of(silent, "facility-ping"), "info");
  auto alone = SelfTest::conclude(run_with({}), kLocalOk, 1010);
  EXPECT_EQ(alone.result, "pass");
  EXPECT_EQ(result_of(alone, "member-ping"), "info");
}

TEST(SelfTestConclude, AFailedLocalCheckFailsTheRun) {
  auto r = SelfTest::conclude(run_with({{"a-example", "a.example", "n2", false, 1000, 1001}}),
                              {{"certificates", "pass", ""}, {"crl", "fail", "no CRL installed"}, {"directory", "pass", ""}},
                              1010);
  EXPECT_EQ(r.result, "fail");
  EXPECT_EQ(result_of(r, "crl"), "fail");
}

}  // namespace
}  // namespace sm::gateway
