// auth_secrets_test.cpp - strong sign-ins: TOTP (codes computed with
// liboath from the shown secret) at step boundaries, one step of drift
// either side accepted and two refused, a used step never accepted again;
// recovery codes (single use); device passwords (strong, last use
// recorded, revocable); enrolment output (URI, codes).
#include <regex>

#include "auth_test_support.h"
#include "auth/secrets.h"

using namespace sm::auth;
using sm::auth::test::StoreTest;

namespace {

constexpr std::int64_t kStep = 60'000'000;  // a step number; time = step * 30
constexpr std::int64_t at(std::int64_t step, int second = 0) { return step * 30 + second; }

class SecretsTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    add("alice", "correct horse");
    auto e = store_->enrol_totp("alice", "Example Mail");
    ASSERT_TRUE(e) << e.error().text;
    enrolment_ = *e;
  }
  std::string with_code(std::int64_t step) { return "correct horse" + code(enrolment_.secret_base32, step); }
  TotpEnrolment enrolment_;
};

}  // namespace

TEST_F(SecretsTest, EnrolmentShowsUriSecretAndTenCodes) {
  EXPECT_EQ(enrolment_.secret_base32.size(), 32u);  // 20 bytes
  EXPECT_EQ(enrolment_.uri, "otpauth://totp/Example%20Mail:alice?secret=" + enrolment_.secret_base32 +
                                "&issuer=Example%20Mail&algorithm=SHA1&digits=6&period=30");
  ASSERT_EQ(enrolment_.recovery_codes.size(), 10u);
  std::regex shape("[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}");
  for (const auto& c : enrolment_.recovery_codes) EXPECT_TRUE(std::regex_match(c, shape)) << c;
  auto a = *store_->find("alice");
  EXPECT_TRUE(a->totp);
  EXPECT_TRUE(a->strong_capable());
  EXPECT_EQ(a->recovery_codes_left, 10u);
  EXPECT_FALSE(store_->enrol_totp("nobody", "Example Mail"));
  EXPECT_FALSE(store_->enrol_totp("alice", ""));
}

TEST_F(SecretsTest, CodeAcceptedAtBothEndsOfItsStep) {
  auto first = store_->check("alice", with_code(kStep), at(kStep, 0));
  ASSERT_TRUE(first) << first.error().reply();
  EXPECT_EQ(first->method, Method::totp);
  EXPECT_TRUE(first->strong);
  auto last = store_->check("alice", with_code(kStep + 2), at(kStep + 2, 29));
  ASSERT_TRUE(last) << last.error().reply();
  EXPECT_EQ(last->method, Method::totp);
}

TEST_F(SecretsTest, OneStepOfDriftEitherSideAcceptedTwoRefused) {
  EXPECT_TRUE(denied(store_->check("alice", with_code(kStep - 2), at(kStep, 29))));
  EXPECT_TRUE(denied(store_->check("alice", with_code(kStep + 2), at(kStep, 0))));
  EXPECT_TRUE(store_->check("alice", with_code(kStep - 1), at(kStep, 0)));   // the clock of the phone lags
  EXPECT_TRUE(store_->check("alice", with_code(kStep + 1), at(kStep, 29)));  // or runs ahead
}

TEST_F(SecretsTest, AUsedStepIsNeverAcceptedAgain) {
  ASSERT_TRUE(store_->check("alice", with_code(kStep), at(kStep, 3)));
  EXPECT_TRUE(denied(store_->check("alice", with_code(kStep), at(kStep, 10))));      // replay
  EXPECT_TRUE(denied(store_->check("alice", with_code(kStep - 1), at(kStep, 10))));  // older step
  EXPECT_TRUE(store_->check("alice", with_code(kStep + 1), at(kStep + 1, 1)));
}

TEST_F(SecretsTest, WrongPasswordWithTheRightCodeRefusedAndDoesNotSpendTheStep) {
  std::string c = code(enrolment_.secret_base32, kStep);
  EXPECT_TRUE(denied(store_->check("alice", "wrong horse" + c, at(kStep))));
  EXPECT_TRUE(denied(store_->check("alice", "correct horse" + std::string(c.rbegin(), c.rend()) + "0", at(kStep))));
  EXPECT_TRUE(store_->check("alice", "correct horse" + c, at(kStep)));
}

TEST_F(SecretsTest, PasswordAloneStillWorksUnlessStrongRequired) {
  auto weak = store_->check("alice", "correct horse", at(kStep));
  ASSERT_TRUE(weak);
  EXPECT_EQ(weak->method, Method::password);
  EXPECT_FALSE(weak->strong);
  ASSERT_TRUE(store_->set_flag("alice", "strong-required", true, "ops"));
  EXPECT_TRUE(denied(store_->check("alice", "correct horse", at(kStep))));
  EXPECT_TRUE(store_->check("alice", with_code(kStep), at(kStep)));
}

TEST_F(SecretsTest, RecoveryCodeWorksOnce) {
  const std::string& rc = enrolment_.recovery_codes[3];
  auto in = store_->check("alice", "correct horse" + rc, at(kStep));
  ASSERT_TRUE(in) << in.error().reply();
  EXPECT_EQ(in->method, Method::recovery);
  EXPECT_TRUE(in->strong);
  EXPECT_TRUE(denied(store_->check("alice", "correct horse" + rc, at(kStep))));
  EXPECT_EQ((*store_->find("alice"))->recovery_codes_left, 9u);
  std::string upper = enrolment_.recovery_codes[4];
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(store_->check("alice", "correct horse" + upper, at(kStep)));  // typed in capitals
  EXPECT_TRUE(denied(store_->check("alice", "wrong horse" + enrolment_.recovery_codes[5], at(kStep))));
  EXPECT_TRUE(denied(store_->check("alice", "correct horse" + std::string("2222-2222-2222"), at(kStep))));
}

TEST_F(SecretsTest, ReEnrolmentAndRemovalRetireTheOldSecrets) {
  auto again = store_->enrol_totp("alice", "Example Mail");
  ASSERT_TRUE(again);
  EXPECT_NE(again->secret_base32, enrolment_.secret_base32);
  EXPECT_TRUE(denied(store_->check("alice", "correct horse" + enrolment_.recovery_codes[0], at(kStep))));
  ASSERT_TRUE(store_->remove_totp("alice"));
  EXPECT_FALSE((*store_->find("alice"))->totp);
  EXPECT_EQ((*store_->find("alice"))->recovery_codes_left, 0u);
  EXPECT_TRUE(denied(store_->check("alice", "correct horse" + code(again->secret_base32, kStep), at(kStep))));
  auto twice = store_->remove_totp("alice");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().text.find("has no TOTP enrolled"), std::string::npos);
}

TEST_F(SecretsTest, DevicePasswordStrongWithLastUse) {
  auto pw = store_->add_device("alice", "phone", true);
  ASSERT_TRUE(pw) << pw.error().text;
  EXPECT_TRUE(std::regex_match(*pw, std::regex("[a-z]{4}(-[a-z]{4}){6}"))) << *pw;
  EXPECT_EQ((*store_->find("alice"))->devices.at(0).last_used_at, 0);
  auto in = store_->check("alice", *pw, 1'700'000'123);
  ASSERT_TRUE(in) << in.error().reply();
  EXPECT_EQ(in->method, Method::device);
  EXPECT_TRUE(in->strong);
  auto d = (*store_->find("alice"))->devices.at(0);
  EXPECT_EQ(d.name, "phone");
  EXPECT_EQ(d.last_used_at, 1'700'000'123);
  EXPECT_TRUE(d.strong);
  // Typed without dashes, in capitals: the same password.
  std::string bare;
  for (char ch : *pw)
    if (ch != '-') bare += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(store_->check("alice", bare, 1'700'000'200));
  // Another account's device password does not open this one.
  add("bob");
  EXPECT_TRUE(denied(store_->check("bob", *pw, 1'700'000'200)));

  auto dup = store_->add_device("alice", "phone", true);
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().text.find("already has a device \"phone\""), std::string::npos);
  EXPECT_FALSE(store_->add_device("alice", "my phone!", true));
  ASSERT_TRUE(store_->remove_device("alice", "phone"));
  EXPECT_TRUE(denied(store_->check("alice", *pw, 1'700'000'300)));
  EXPECT_FALSE(store_->remove_device("alice", "phone"));
}

TEST_F(SecretsTest, WeakDeviceRefusedWhenStrongRequired) {
  auto pw = store_->add_device("alice", "old-laptop", false);
  ASSERT_TRUE(pw);
  auto in = store_->check("alice", *pw, at(kStep));
  ASSERT_TRUE(in);
  EXPECT_FALSE(in->strong);
  ASSERT_TRUE(store_->set_flag("alice", "strong-required", true, "ops"));
  EXPECT_TRUE(denied(store_->check("alice", *pw, at(kStep))));
}

TEST_F(SecretsTest, DisabledAccountRefusesEverySecret) {
  auto pw = store_->add_device("alice", "phone", true);
  ASSERT_TRUE(pw);
  ASSERT_TRUE(store_->set_enabled("alice", false));
  EXPECT_TRUE(denied(store_->check("alice", *pw, at(kStep))));
  EXPECT_TRUE(denied(store_->check("alice", with_code(kStep), at(kStep))));
  EXPECT_TRUE(denied(store_->check("alice", "correct horse" + enrolment_.recovery_codes[0], at(kStep))));
}

TEST(AuthSecrets, RandomSecretsHaveTheirShape) {
  EXPECT_EQ(secrets::random_seed().size(), 20u);
  EXPECT_NE(secrets::random_seed(), secrets::random_seed());
  EXPECT_EQ(secrets::normalise_recovery_code("ABCD-EFGH-JKMN"), "abcd-efgh-jkmn");
  EXPECT_FALSE(secrets::normalise_recovery_code("abcd-efgh-jkm0"));  // 0 is not in the alphabet
  EXPECT_FALSE(secrets::normalise_recovery_code("abcd-efgh"));
  EXPECT_FALSE(secrets::normalise_device_password("abcd-efgh"));
  EXPECT_TRUE(secrets::same("abc", "abc"));
  EXPECT_FALSE(secrets::same("abc", "abd"));
  EXPECT_FALSE(secrets::same("abc", "abcd"));
}
