// delivery_maildir_test.cpp - Maildir delivery: layout, file contents and
// modes, unique names, bad local parts, I/O errors.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "delivery/maildir.h"
#include "octets.h"

namespace fs = std::filesystem;
using namespace sm::delivery;

class MaildirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("sm_maildir_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    msg_path = dir / "queued";
    std::ofstream(msg_path, std::ios::binary) << "XXXX" << body;
    env.id = "Q1";
    env.sender = "alice@example.org";
  }
  void TearDown() override {
    ::chmod((dir / "root").c_str(), 0700);
    fs::remove_all(dir);
  }
  StoredMessage msg() const { return StoredMessage{msg_path, 4, body.size()}; }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir, msg_path;
  std::string body = "Subject: hi\r\n\r\nline one\r\n.dot line\r\nlast";
  sm::mail::Envelope env;
};

TEST_F(MaildirTest, DeliversIntoNewWithHeadersAndLfLineEnds) {
  auto r = deliver_maildir(dir / "root", "Bob.Smith@Example.COM", env, msg());
  ASSERT_TRUE(r) << r.error().text;
  fs::path box = dir / "root" / "bob.smith";
  for (auto sub : {"tmp", "new", "cur"}) EXPECT_TRUE(fs::is_directory(box / sub)) << sub;
  EXPECT_TRUE(fs::is_empty(box / "tmp"));
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(box / "new")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(slurp(files[0]),
            "Return-Path: <alice@example.org>\nDelivered-To: Bob.Smith@Example.COM\n"
            "Subject: hi\n\nline one\n.dot line\nlast\n");
  struct stat st {};
  ASSERT_EQ(::stat(files[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ASSERT_EQ(::stat(box.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700);
  // time.M<usec>P<pid>Q<n>.host
  std::string name = files[0].filename().string();
  EXPECT_NE(name.find(".M"), std::string::npos);
  EXPECT_NE(name.find("P" + std::to_string(::getpid()) + "Q"), std::string::npos);
}

TEST_F(MaildirTest, UniqueNamesAndNullSender) {
  env.sender = "";
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(deliver_maildir(dir / "root", "u@x", env, msg()));
  int n = 0;
  for (auto& e : fs::directory_iterator(dir / "root" / "u" / "new")) {
    ++n;
    EXPECT_EQ(slurp(e.path()).rfind("Return-Path: <>\n", 0), 0u);
  }
  EXPECT_EQ(n, 5);
}

TEST_F(MaildirTest, BadLocalPartsArePermanent) {
  for (std::string rcpt : {std::string("@x"), std::string(".hidden@x"), std::string("../etc@x"),
                           std::string("a/b@x"), securemail::test::octets("a\0b@x"), std::string("a\nb@x")}) {
    auto r = deliver_maildir(dir / "root", rcpt, env, msg());
    ASSERT_FALSE(r) << rcpt;
    EXPECT_EQ(r.error().code, 550);
    EXPECT_EQ(r.error().enhanced, "5.1.1");
  }
  EXPECT_FALSE(fs::exists(dir / "root"));  // nothing created for bad input
}

TEST_F(MaildirTest, IoErrorsAreTemporary) {
  fs::create_directories(dir / "root");
  ::chmod((dir / "root").c_str(), 0500);
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores permissions";
  auto r = deliver_maildir(dir / "root", "u@x", env, msg());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 451);
  EXPECT_EQ(r.error().enhanced, "4.3.0");
  auto missing = deliver_maildir(dir / "root2", "u@x", env, StoredMessage{dir / "nope", 0, 3});
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().temporary());
}

TEST_F(MaildirTest, FileWhereFolderShouldBeIs451) {
  // A regular file where the root folder should be: temporary, not 550.
  std::ofstream(dir / "root");
  auto r = deliver_maildir(dir / "root", "u@x", env, msg());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 451);
}
