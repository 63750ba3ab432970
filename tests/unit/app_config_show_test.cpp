// app_config_show_test.cpp - `securemail config show -n`: the keys a file
// sets (dotted, tables and arrays of tables), and the describe() lines
// kept for them; `config check`'s start checks on files and modes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "app/config_command.h"
#include "app/gateway_files.h"
#include "temp_dir.h"

using namespace sm;
namespace fs = std::filesystem;

namespace {
void write(const fs::path& p, const std::string& text, mode_t mode = 0600) {
  std::ofstream(p) << text;
  ::chmod(p.c_str(), mode);
}
}  // namespace

TEST(ConfigShow, KeysSetInFile) {
  test_support::TempDir dir("sm-cfgshow");
  write(dir.path / "c.toml",
        "domain = \"a.example\"\n[queue]\nlifetime = \"2d\"\n[routes]\n\"x.example\" = \"mx\"\n"
        "[[relay_client]]\nname = \"c1\"\n");
  auto keys = app::keys_set_in((dir.path / "c.toml").string());
  EXPECT_EQ(keys, (std::set<std::string>{"domain", "queue.lifetime", "routes.x.example", "relay_client",
                                          "relay_client.name"}));
  write(dir.path / "bad.toml", "domain = \n");
  EXPECT_TRUE(app::keys_set_in((dir.path / "bad.toml").string()).empty());
}

TEST(ConfigShow, OnlyKeysKeepsSetLinesAndTheirTables) {
  std::string described =
      "# effective configuration from x\n"
      "domain = \"a.example\"\n"
      "hostname = \"a.example\"\n"
      "queue.lifetime = \"2d\"  # note\n"
      "routes.\"x.example\" = \"mx\"\n"
      "# [[acknowledge]]: none\n"
      "\n[[relay_client]]\nname = \"c1\"\ndomains = []\n";
  std::set<std::string> keys{"domain", "queue.lifetime", "routes.x.example", "relay_client"};
  EXPECT_EQ(app::only_keys(described, keys),
            "domain = \"a.example\"\nqueue.lifetime = \"2d\"  # note\nroutes.\"x.example\" = \"mx\"\n"
            "\n[[relay_client]]\nname = \"c1\"\ndomains = []\n");
  EXPECT_EQ(app::only_keys(described, {"hostname"}), "hostname = \"a.example\"\n");
}

TEST(ConfigCheck, StartFilesEveryProblem) {
  test_support::TempDir dir("sm-cfgcheck");
  config::Config c;
  c.data_dir = dir.path / "data";
  c.tls.cert = dir.path / "missing-cert.pem";
  c.tls.key = dir.path / "key.pem";
  write(c.tls.key, "not checked here", 0644);
  auto problems = app::check_start_files(c);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].key, "tls.cert");
  EXPECT_NE(problems[0].message.find("no such file"), std::string::npos);
  EXPECT_EQ(problems[1].key, "tls.key");
  EXPECT_NE(problems[1].message.find("644"), std::string::npos) << problems[1].message;

  write(c.tls.cert, "x", 0644);
  ::chmod(c.tls.key.c_str(), 0600);
  EXPECT_TRUE(app::check_start_files(c).empty());  // data_dir does not exist but can be created

  write(dir.path / "file", "x");
  c.data_dir = dir.path / "file";
  problems = app::check_start_files(c);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "data_dir");
  c.data_dir = dir.path / "file" / "below";
  ASSERT_EQ(app::check_start_files(c).size(), 1u);
}
