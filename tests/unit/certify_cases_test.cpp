// certify_cases_test.cpp - the certification catalogue: ids unique and well
// formed, each case in the group its prefix names, a citation for every
// case, agent-observed and triggered cases marked as needing what they need.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

#include "certify/cases.h"

namespace sm::certify {
namespace {

TEST(CertifyCases, IdsAreUniqueWellFormedAndInTheirGroup) {
  std::set<std::string_view> seen;
  ASSERT_GE(catalogue().size(), 40u);
  for (const auto& c : catalogue()) {
    EXPECT_TRUE(seen.insert(c.id).second) << "duplicate " << c.id;
    for (char ch : c.id) {
      auto u = static_cast<unsigned char>(ch);
      EXPECT_TRUE(std::isupper(u) || std::isdigit(u) || ch == '-') << c.id;
    }
    std::string_view prefix = c.id.substr(0, c.id.find('-'));
    std::string_view expected = c.group == Group::interoperability ? "INT" : c.group == Group::security ? "SEC" : "OPS";
    EXPECT_EQ(prefix, expected) << c.id;
    EXPECT_FALSE(c.title.empty()) << c.id;
    EXPECT_FALSE(c.cites.empty()) << c.id;
    EXPECT_EQ(find_case(c.id), &c);
  }
  EXPECT_EQ(find_case("SEC-NO-SUCH-CASE"), nullptr);
}

TEST(CertifyCases, TriggeredCasesNeedTheAgentAndPinningComesWithTls) {
  for (const auto& c : catalogue()) {
    if (c.path == Path::trigger) {
      EXPECT_TRUE(c.needs & kNeedsAgent) << c.id;
    }
    if (c.needs & kNeedsPin) {
      EXPECT_TRUE(c.needs & kNeedsTls) << c.id;
    }
  }
  EXPECT_EQ(needs_text(kNeedsTls | kNeedsPin), "tls,pin");
  EXPECT_EQ(needs_text(0), "");
  EXPECT_EQ(to_string(Path::trigger), "trigger");
  EXPECT_EQ(to_string(Group::operations), "operations");
}

}  // namespace
}  // namespace sm::certify
