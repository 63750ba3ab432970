// util_log_privacy_test.cpp - hashed addresses in every form a log line
// holds them, the logger applying them to stderr and the daily file,
// subject_field() off and on, and the retention of daily files by age.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "temp_dir.h"
#include "util/log.h"
#include "util/log_file.h"
#include "util/log_privacy.h"

using namespace sm::log;
namespace fs = std::filesystem;

namespace {

const std::string kKey(32, 'k');

std::string hashed(std::string_view address) { return address_hash(kKey, address); }

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(LogPrivacy, HashIsKeyedStableAndCaseBlind) {
  std::string h = hashed("alice@agency.govt.nz");
  ASSERT_EQ(h.size(), 2u + 12u);
  EXPECT_EQ(h.substr(0, 2), "h:");
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef", 2), std::string::npos);
  EXPECT_EQ(h, hashed("Alice@Agency.GOVT.nz"));
  EXPECT_NE(h, hashed("bob@agency.govt.nz"));
  EXPECT_NE(h, address_hash(std::string(32, 'j'), "alice@agency.govt.nz"));
}

TEST(LogPrivacy, EveryAddressFormIsHidden) {
  std::string a = hashed("alice@a.example"), b = hashed("bob@b.example");
  EXPECT_EQ(hide_addresses(kKey, "ID1: from=<alice@a.example>, size=12"), "ID1: from=<" + a + "@a.example>, size=12");
  EXPECT_EQ(hide_addresses(kKey, "to=<bob@b.example>,to=<alice@a.example>"),
            "to=<" + b + "@b.example>,to=<" + a + "@a.example>");
  EXPECT_EQ(hide_addresses(kKey, "sign-in for alice@a.example refused."), "sign-in for " + a + "@a.example refused.");
  EXPECT_EQ(hide_addresses(kKey, "alice@a.example"), a + "@a.example");
  EXPECT_EQ(hide_addresses(kKey, "to=<\"a b\"@a.example>"), "to=<" + hashed("\"a b\"@a.example") + "@a.example>");
  EXPECT_EQ(hide_addresses(kKey, "to=<first.last+tag@a.example>"),
            "to=<" + hashed("first.last+tag@a.example") + "@a.example>");
}

TEST(LogPrivacy, LinesWithoutAddressesAreUnchanged) {
  for (std::string_view line : {"from=<>, size=3", "listening: relay on 127.0.0.1:10025", "@ alone", "x@ y", "",
                                "a @b", "no at sign"})
    EXPECT_EQ(hide_addresses(kKey, line), line);
}

TEST(LogPrivacy, LoggerHashesStderrAndFileAndKeepsFiles) {
  sm::test_support::TempDir dir("sm-log");
  Privacy p;
  p.hash_addresses = true;
  p.key = kKey;
  p.file = dir.path / "gw.log";
  p.retention = std::chrono::hours(24 * 7);
  ASSERT_TRUE(setup("info", p));
  testing::internal::CaptureStderr();
  info("ID7: from=<carol@c.example>, size=1");
  spdlog::default_logger()->flush();
  std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(setup("info", {}));  // back to plain stderr before asserting (releases the file)
  EXPECT_EQ(err.find("carol"), std::string::npos) << err;
  EXPECT_NE(err.find("from=<" + hashed("carol@c.example") + "@c.example>"), std::string::npos) << err;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir.path)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(is_daily_file(p.file, files[0])) << files[0];
  EXPECT_EQ(fs::status(files[0]).permissions(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  std::string text = read_all(files[0]);
  EXPECT_EQ(text.find("carol"), std::string::npos) << text;
  EXPECT_NE(text.find(hashed("carol@c.example")), std::string::npos) << text;
}

TEST(LogPrivacy, BadKeyIsRefused) {
  Privacy p;
  p.hash_addresses = true;
  p.key = "short";
  auto r = setup("info", p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("32 octets"), std::string::npos);
}

TEST(LogPrivacy, UnopenableFileIsAnError) {
  sm::test_support::TempDir dir("sm-log");
  std::ofstream(dir.path / "plain-file") << "x";
  Privacy p;
  p.file = dir.path / "plain-file" / "gw.log";  // a file where the folder should be
  auto r = setup("info", p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("cannot open the log file"), std::string::npos) << r.error().text;
}

TEST(LogPrivacy, SubjectOnlyWhenAsked) {
  ASSERT_TRUE(setup("info", {}));
  EXPECT_EQ(subject_field("Quarterly figures"), "");
  Privacy p;
  p.subjects = true;
  ASSERT_TRUE(setup("info", p));
  EXPECT_EQ(subject_field("Quarterly \"figures\"\r\n"), ", subject=\"Quarterly \\x22figures\\x22\\x0d\\x0a\"");
  ASSERT_TRUE(setup("info", {}));
  EXPECT_EQ(subject_field("Quarterly figures"), "");
}

TEST(LogRetention, DailyFilesOlderThanRetentionAreDeleted) {
  sm::test_support::TempDir dir("sm-log");
  fs::path base = dir.path / "gw.log";
  auto now = fs::file_time_type::clock::now();
  auto make = [&](const std::string& name, std::chrono::hours age) {
    std::ofstream(dir.path / name) << "line\n";
    fs::last_write_time(dir.path / name, now - age);
  };
  make("gw_2026-01-01.log", std::chrono::hours(24 * 40));  // old daily file: goes
  make("gw_2026-02-01.log", std::chrono::hours(24 * 10));  // inside retention: stays
  make("gw.log", std::chrono::hours(24 * 40));             // not a daily file: stays
  make("other_2026-01-01.log", std::chrono::hours(24 * 40));
  make("gw_2026-01-01.log.bak", std::chrono::hours(24 * 40));
  Pruned p = prune_daily_files(base, std::chrono::hours(24 * 30), now);
  ASSERT_EQ(p.removed.size(), 1u);
  EXPECT_EQ(p.removed[0].filename(), "gw_2026-01-01.log");
  EXPECT_TRUE(p.failures.empty());
  EXPECT_TRUE(fs::exists(dir.path / "gw_2026-02-01.log"));
  EXPECT_TRUE(fs::exists(dir.path / "gw.log"));
  EXPECT_TRUE(fs::exists(dir.path / "other_2026-01-01.log"));
  EXPECT_TRUE(fs::exists(dir.path / "gw_2026-01-01.log.bak"));
}

TEST(LogRetention, DailyFileNames) {
  fs::path base = "/var/log/sm/gw.log";
  EXPECT_TRUE(is_daily_file(base, "/var/log/sm/gw_2026-12-04.log"));
  EXPECT_FALSE(is_daily_file(base, "/var/log/other/gw_2026-12-04.log"));
  EXPECT_FALSE(is_daily_file(base, "/var/log/sm/gw_2026-12-4.log"));
  EXPECT_FALSE(is_daily_file(base, "/var/log/sm/gw_2026-12-04.txt"));
  EXPECT_FALSE(is_daily_file(base, "/var/log/sm/gw_20261204xx.log"));
  EXPECT_TRUE(is_daily_file("/l/securemail", "/l/securemail_2026-12-04"));
}
