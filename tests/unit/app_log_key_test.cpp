// app_log_key_test.cpp - DATA/log.key: made once (32 octets, mode 0600),
// read back unchanged, never made by a reader, refused when open to
// others or of the wrong size; [log] translated into log::Privacy.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "app/log_key.h"
#include "temp_dir.h"

using namespace sm;
namespace fs = std::filesystem;

TEST(LogKey, MadeOnceThenReadBack) {
  test_support::TempDir dir("sm-logkey");
  auto none = app::log_key(dir.path, false);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().text.find("no log key"), std::string::npos);
  EXPECT_FALSE(fs::exists(app::log_key_file(dir.path)));
  auto made = app::log_key(dir.path, true);
  ASSERT_TRUE(made) << made.error().text;
  EXPECT_EQ(made->size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(app::log_key_file(dir.path).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = app::log_key(dir.path, false);
  ASSERT_TRUE(again) << again.error().text;
  EXPECT_EQ(*again, *made);
  test_support::TempDir other("sm-logkey");
  EXPECT_NE(*app::log_key(other.path, true), *made);  // random per gateway
}

TEST(LogKey, RefusedWhenOpenToOthersOrWrongSize) {
  test_support::TempDir dir("sm-logkey");
  ASSERT_TRUE(app::log_key(dir.path, true));
  ::chmod(app::log_key_file(dir.path).c_str(), 0644);
  EXPECT_FALSE(app::log_key(dir.path, true));
  ::chmod(app::log_key_file(dir.path).c_str(), 0600);
  std::ofstream(app::log_key_file(dir.path), std::ios::trunc) << "too short";
  auto r = app::log_key(dir.path, true);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("holds 9 octets, not 32"), std::string::npos) << r.error().text;
}

TEST(LogKey, PrivacyFromConfig) {
  test_support::TempDir dir("sm-logkey");
  config::Config c;
  c.data_dir = dir.path;
  auto plain = app::log_privacy(c);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->hash_addresses);
  EXPECT_FALSE(fs::exists(app::log_key_file(dir.path)));  // no key without hashing
  c.log.addresses = config::LogPrivacy::Addresses::hashed;
  c.log.subjects = true;
  c.log.file = dir.path / "gw.log";
  c.log.retention = std::chrono::hours(48);
  auto hashed = app::log_privacy(c);
  ASSERT_TRUE(hashed) << hashed.error().text;
  EXPECT_TRUE(hashed->hash_addresses);
  EXPECT_EQ(hashed->key, *app::log_key(dir.path, false));
  EXPECT_TRUE(hashed->subjects);
  EXPECT_EQ(hashed->file, dir.path / "gw.log");
  EXPECT_EQ(hashed->retention, std::chrono::hours(48));
}
