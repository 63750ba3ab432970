// auth_test_support.h - a fresh AccountStore in a temporary folder, and
// TOTP codes computed independently with liboath from the base32 secret an
// enrolment shows (as an authenticator app would).
#pragma once

#include <gtest/gtest.h>
#include <liboath/oath.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "auth/accounts.h"

namespace sm::auth::test {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/auth_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = AccountStore::open(dir_);
    ASSERT_TRUE(s) << s.error().text;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void add(const std::string& name, const std::string& password = "correct horse") {
    auto r = store_->add(name, {name + "@mail.example"}, password);
    ASSERT_TRUE(r) << r.error().text;
  }
  // The code an authenticator app shows for `step` (30 s units).
  static std::string code(const std::string& secret_base32, std::int64_t step) {
    oath_init();
    char* seed = nullptr;
    size_t len = 0;
    EXPECT_EQ(oath_base32_decode(secret_base32.data(), secret_base32.size(), &seed, &len), OATH_OK);
    char otp[7] = {};
    EXPECT_EQ(oath_totp_generate(seed, len, static_cast<time_t>(step * 30), 30, 0, 6, otp), OATH_OK);
    std::free(seed);
    return otp;
  }
  static bool denied(const Result<SignIn>& r) {
    return !r && r.error().code == 535 && r.error().enhanced == "5.7.8" && r.error().text == "authentication failed";
  }

  std::filesystem::path dir_;
  std::unique_ptr<AccountStore> store_;
};

}  // namespace sm::auth::test
