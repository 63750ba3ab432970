// config_sample_test.cpp - the packaged sample config contrib/securemail.toml
// (installed as /etc/securemail/config.toml) loads as it is with the real
// loader, and every commented-out "#key = value" line states the key's
// default: uncommenting it leaves the effective configuration unchanged.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "config/config.h"

namespace sm::config {
namespace {

const std::filesystem::path kSample = std::filesystem::path(SM_SOURCE_DIR) / "contrib" / "securemail.toml";

std::string sample_text() {
  std::ifstream in(kSample);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ConfigSample, LoadsAsShipped) {
  auto c = load_file(kSample);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->data_dir, "/var/lib/securemail");
  EXPECT_EQ(c->listen.inbound.port, 25);
  EXPECT_TRUE(c->run.user.empty());  // the systemd unit starts it as securemail already
}

TEST(ConfigSample, CommentedKeysShowTheirDefaults) {
  std::string text = sample_text();
  auto shipped = load_string(text, "config.toml", "/etc/securemail");
  ASSERT_TRUE(shipped) << shipped.error();
  std::string expected = describe(*shipped);
  std::regex commented(R"(^#([a-z_]+) = .*$)");
  std::istringstream lines(text);
  std::string line, edited;
  std::size_t keys = 0, offset = 0;
  while (std::getline(lines, line)) {
    if (std::regex_match(line, commented)) {
      ++keys;
      std::string uncommented = text.substr(0, offset) + line.substr(1) + text.substr(offset + line.size());
      auto c = load_string(uncommented, "config.toml", "/etc/securemail");
      ASSERT_TRUE(c) << line << ": " << c.error();
      EXPECT_EQ(describe(*c), expected) << "not the default: " << line;
    }
    offset += line.size() + 1;
  }
  EXPECT_GE(keys, 30u);
}

}  // namespace
}  // namespace sm::config
