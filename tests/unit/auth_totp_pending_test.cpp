// auth_totp_pending_test.cpp - self-service TOTP enrolment stays pending
// until a code from the new seed confirms it: before that the seed signs
// nobody in and the account signs in as before (password alone, or its old
// seed); a wrong code keeps it pending; confirming makes it the only seed,
// spends the confirming step and returns fresh recovery codes; cancelling
// (or never confirming) changes nothing.
#include "auth_test_support.h"

using namespace sm::auth;
using sm::auth::test::StoreTest;

namespace {

constexpr std::int64_t kStep = 60'000'000;
constexpr std::int64_t at(std::int64_t step) { return step * 30; }

class PendingTotp : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    add("alice", "correct horse");
  }
};

}  // namespace

TEST_F(PendingTotp, APendingSeedSignsNobodyInAndChangesNothing) {
  auto e = store_->begin_totp("alice", "Example Mail");
  ASSERT_TRUE(e) << e.error().text;
  EXPECT_TRUE(e->recovery_codes.empty());
  EXPECT_EQ(e->secret_base32.size(), 32u);
  auto a = *store_->find("alice");
  EXPECT_FALSE(a->totp);
  EXPECT_FALSE(a->strong_capable());
  // The password alone still works; password + a code of the pending seed is not strong.
  auto plain = store_->check("alice", "correct horse", at(kStep));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->method, Method::password);
  EXPECT_TRUE(denied(store_->check("alice", "correct horse" + code(e->secret_base32, kStep), at(kStep))));
}

TEST_F(PendingTotp, AWrongCodeKeepsItPendingARightOneActivatesIt) {
  auto e = *store_->begin_totp("alice", "Example Mail");
  auto wrong = store_->confirm_totp("alice", "000000" == code(e.secret_base32, kStep) ? "111111" : "000000", at(kStep));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, 535);
  EXPECT_FALSE((*store_->find("alice"))->totp);
  auto codes = store_->confirm_totp("alice", code(e.secret_base32, kStep), at(kStep));
  ASSERT_TRUE(codes) << codes.error().text;
  EXPECT_EQ(codes->size(), 10u);
  auto a = *store_->find("alice");
  EXPECT_TRUE(a->totp);
  EXPECT_EQ(a->recovery_codes_left, 10u);
  // The confirming step is spent; the next one signs in strongly.
  EXPECT_TRUE(denied(store_->check("alice", "correct horse" + code(e.secret_base32, kStep), at(kStep))));
  auto next = store_->check("alice", "correct horse" + code(e.secret_base32, kStep + 1), at(kStep + 1));
  ASSERT_TRUE(next) << next.error().reply();
  EXPECT_EQ(next->method, Method::totp);
  // Nothing is pending any more.
  EXPECT_FALSE(store_->confirm_totp("alice", code(e.secret_base32, kStep + 2), at(kStep + 2)));
}

TEST_F(PendingTotp, AnActiveSeedStaysUntilTheNewOneIsConfirmed) {
  auto old = *store_->enrol_totp("alice", "Example Mail");
  auto fresh = *store_->begin_totp("alice", "Example Mail");
  auto with_old = store_->check("alice", "correct horse" + code(old.secret_base32, kStep), at(kStep));
  ASSERT_TRUE(with_old) << with_old.error().reply();
  ASSERT_TRUE(store_->cancel_totp("alice"));
  EXPECT_FALSE(store_->confirm_totp("alice", code(fresh.secret_base32, kStep + 1), at(kStep + 1)));
  fresh = *store_->begin_totp("alice", "Example Mail");
  ASSERT_TRUE(store_->confirm_totp("alice", code(fresh.secret_base32, kStep + 1), at(kStep + 1)));
  EXPECT_TRUE(denied(store_->check("alice", "correct horse" + code(old.secret_base32, kStep + 3), at(kStep + 3))));
  EXPECT_TRUE(store_->check("alice", "correct horse" + code(fresh.secret_base32, kStep + 3), at(kStep + 3)));
}

TEST_F(PendingTotp, UnknownAccountsAndMissingIssuerAreErrors) {
  EXPECT_FALSE(store_->begin_totp("nobody", "Example Mail"));
  EXPECT_FALSE(store_->begin_totp("alice", ""));
  EXPECT_FALSE(store_->confirm_totp("nobody", "123456", at(kStep)));
  EXPECT_FALSE(store_->cancel_totp("nobody"));
}
