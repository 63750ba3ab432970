// gateway_sovereignty_check_test.cpp - the start-up warnings: the data
// folder and each declared route outside the approved jurisdictions,
// once per entry with its key; nothing when all are approved.
#include <gtest/gtest.h>

#include "gateway/sovereignty_check.h"

using namespace sm;

namespace {

config::Config base() {
  config::Config c;
  c.data_dir = "/var/lib/securemail";
  c.sovereignty.approved = {"NZ", "AU"};
  c.sovereignty.data = "NZ";
  config::Target smtp;
  smtp.kind = config::Target::Kind::smtp;
  smtp.host = "relay.partner.example";
  smtp.port = 25;
  c.routes.by_domain["partner.example"] = smtp;
  c.routes.by_domain["au.example"] = smtp;
  return c;
}

}  // namespace

TEST(SovereigntyCheck, NothingWhenAllApproved) {
  auto c = base();
  c.sovereignty.routes = {{"default", "NZ"}, {"au.example", "AU"}};
  EXPECT_TRUE(gateway::sovereignty_warnings(c).empty());
}

TEST(SovereigntyCheck, DataOutsideApproved) {
  auto c = base();
  c.sovereignty.data = "US";
  auto w = gateway::sovereignty_warnings(c);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0],
            "sovereignty: sovereignty.data = \"US\": the data folder /var/lib/securemail (queue, evidence, logs) is "
            "declared in US, outside the approved jurisdictions (sovereignty.approved: NZ, AU)");
}

TEST(SovereigntyCheck, EachRouteOutsideApprovedOnceWithItsKey) {
  auto c = base();
  c.sovereignty.routes = {{"partner.example", "US"}, {"default", "SG"}, {"au.example", "AU"}, {"gone.example", "US"}};
  auto w = gateway::sovereignty_warnings(c);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0], "sovereignty: routes.default (mx) is declared in SG by sovereignty.routes.default, outside the "
                  "approved jurisdictions (sovereignty.approved: NZ, AU)");
  EXPECT_NE(w[1].find("routes.\"gone.example\" (no [routes] entry: that mail takes routes.default) is declared in US "
                      "by sovereignty.routes.\"gone.example\""),
            std::string::npos)
      << w[1];
  EXPECT_NE(w[2].find("routes.\"partner.example\" (smtp://relay.partner.example:25) is declared in US by "
                      "sovereignty.routes.\"partner.example\""),
            std::string::npos)
      << w[2];
}

TEST(SovereigntyCheck, NothingApprovedWarnsForEverything) {
  auto c = base();
  c.sovereignty.approved.clear();
  c.sovereignty.routes = {{"default", "NZ"}};
  auto w = gateway::sovereignty_warnings(c);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find("(sovereignty.approved: none)"), std::string::npos) << w[0];
}
