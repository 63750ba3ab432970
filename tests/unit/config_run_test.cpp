// config_run_test.cpp - [run] (the account `securemail run` switches to):
// default, both keys, describe() round trip, and the bad values, each
// named with file, line and key.
#include <gtest/gtest.h>

#include "config/config.h"

using namespace sm::config;

namespace {

std::string load_error(std::string_view text) {
  auto c = load_string(text, "config.toml", "/etc/securemail");
  EXPECT_FALSE(c.has_value()) << "expected an error for:\n" << text;
  return c ? std::string() : c.error();
}

}  // namespace

TEST(ConfigRun, DefaultStaysAsStarted) {
  auto c = load_string("", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->run.user, "");
  EXPECT_EQ(c->run.group, "");
  auto again = load_string(describe(*c), "described.toml", "/etc/securemail");  // run.user = "" loads back
  ASSERT_TRUE(again) << again.error();
}

TEST(ConfigRun, UserAndGroupRoundTrip) {
  auto c = load_string("[run]\nuser = \"securemail\"\ngroup = \"mail\"\n", "config.toml", "/etc/securemail");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->run.user, "securemail");
  EXPECT_EQ(c->run.group, "mail");
  std::string text = describe(*c);
  EXPECT_NE(text.find("run.user = \"securemail\""), std::string::npos) << text;
  auto again = load_string(text, "described.toml", "/etc/securemail");
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->run.user, "securemail");
  EXPECT_EQ(again->run.group, "mail");
}

TEST(ConfigRun, BadValuesNameFileLineAndKey) {
  EXPECT_EQ(load_error("[run]\nuser = \"root; rm\"\n").rfind("config.toml:2: run.user: bad account name", 0), 0u);
  EXPECT_EQ(load_error("[run]\nuser = \"-x\"\n").rfind("config.toml:2: run.user: bad account name", 0), 0u);
  EXPECT_EQ(load_error("[run]\nuser = 0\n").rfind("config.toml:2: run.user:", 0), 0u);
  EXPECT_EQ(load_error("[run]\ngroup = \"mail\"\n").rfind("config.toml:2: run.group: needs run.user", 0), 0u);
  EXPECT_NE(load_error("[run]\nusr = \"x\"\n").find("run.usr"), std::string::npos);
}
