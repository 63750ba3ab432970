// pickup_store_test.cpp - the pickup vault and ledger on a real folder and
// SQLite file: content is sealed per message and opens only with its own
// sealed key and reference, a wrong key, an altered or a moved file opens
// nothing, erasing removes it; the master key is made once (0600); the
// ledger keeps the token's hash, counts codes and wrong tries, locks,
// closes (dropping the key) and lists what is due.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "pickup/ledger.h"
#include "pickup/site.h"
#include "pickup/vault.h"
#include "temp_dir.h"

namespace sm::pickup {
namespace {

using test_support::TempDir;
namespace fs = std::filesystem;

unsigned mode_of(const fs::path& p) {
  struct stat st{};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(PickupVault, SealsEachMessageUnderItsOwnKey) {
  TempDir dir;
  auto vault = Vault::open(dir.path / "pickup");
  ASSERT_TRUE(vault) << vault.error().text;
  EXPECT_EQ(mode_of(dir.path / "pickup"), 0700u);
  EXPECT_EQ(mode_of(dir.path / "pickup" / "master.key"), 0600u);
  const std::string a = new_reference(), b = new_reference();
  ASSERT_TRUE(is_reference(a)) << a;
  ASSERT_NE(a, b);
  const std::string text = "Subject: secret plans\r\n\r\nthe plans\r\n";
  auto key_a = vault->put(a, text);
  auto key_b = vault->put(b, "other");
  ASSERT_TRUE(key_a && key_b);
  EXPECT_EQ(mode_of(dir.path / "pickup" / "content" / a), 0600u);
  // Nothing of the content is in the file or the sealed key as it was.
  std::ifstream f(dir.path / "pickup" / "content" / a, std::ios::binary);
  std::string stored((std::istreambuf_iterator<char>(f)), {});
  EXPECT_EQ(stored.find("secret plans"), std::string::npos);
  EXPECT_EQ(stored.size(), text.size() + 24 + 16);
  auto back = vault->get(a, *key_a);
  ASSERT_TRUE(back) << back.error().text;
  EXPECT_EQ(*back, text);
  // Another message's key, or the file under another reference, opens nothing.
  EXPECT_FALSE(vault->get(a, *key_b));
  fs::copy_file(dir.path / "pickup" / "content" / a, dir.path / "pickup" / "content" / b,
                fs::copy_options::overwrite_existing);
  EXPECT_FALSE(vault->get(b, *key_a));
  EXPECT_FALSE(vault->get(b, *key_b));
  // One flipped octet: nothing.
  stored[30] ^= 1;
  std::ofstream(dir.path / "pickup" / "content" / a, std::ios::binary | std::ios::trunc) << stored;
  auto altered = vault->get(a, *key_a);
  ASSERT_FALSE(altered);
  EXPECT_NE(altered.error().text.find("does not open"), std::string::npos) << altered.error().text;
  // Erased: gone, and erasing again is fine.
  EXPECT_TRUE(vault->erase(a));
  EXPECT_FALSE(fs::exists(dir.path / "pickup" / "content" / a));
  EXPECT_TRUE(vault->erase(a));
  EXPECT_EQ(vault->stored(), std::vector<std::string>{b});
  // Not a reference: refused, never a path.
  EXPECT_FALSE(vault->put("../x", "y"));
  EXPECT_FALSE(vault->get("P-AAAA-AAAA-AAA/", *key_b));
}

TEST(PickupVault, TheMasterKeyIsMadeOnceAndAnotherOneOpensNothing) {
  TempDir dir;
  std::string ref = new_reference(), sealed;
  {
    auto vault = Vault::open(dir.path / "pickup");
    ASSERT_TRUE(vault);
    sealed = *vault->put(ref, "kept");
  }
  auto again = Vault::open(dir.path / "pickup");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->get(ref, sealed), "kept");
  fs::remove(dir.path / "pickup" / "master.key");
  auto fresh = Vault::open(dir.path / "pickup");
  ASSERT_TRUE(fresh);
  auto lost = fresh->get(ref, sealed);
  ASSERT_FALSE(lost);
  EXPECT_NE(lost.error().text.find("does not open with this gateway's master key"), std::string::npos);
  std::ofstream(dir.path / "pickup" / "master.key", std::ios::trunc) << "short";
  auto bad = Vault::open(dir.path / "pickup");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().text.find("not a pickup master key"), std::string::npos) << bad.error().text;
}

TEST(PickupVault, ReferencesAreStrict) {
  EXPECT_TRUE(is_reference("P-7K3M-Q9XD-2FHT"));
  for (const char* bad : {"", "P-7K3M-Q9XD-2FH", "P-7K3M-Q9XD-2FHTX", "Q-7K3M-Q9XD-2FHT", "P-7K3M-Q9XD-2FHU",
                          "P-7k3m-q9xd-2fht", "P-7K3M/Q9XD-2FHT", "P-7K3M-Q9XD-2FH\n"})
    EXPECT_FALSE(is_reference(bad)) << bad;
}

class PickupLedger : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = Ledger::open(Ledger::file_in(dir_.path));
    ASSERT_TRUE(l) << l.error().text;
    ledger_.emplace(std::move(*l));
  }
  Pickup add(std::int64_t expires = 2000) {
    Pickup p;
    p.ref = new_reference();
    p.sender = "alice@a.example";
    p.recipient = "bob@example.org";
    p.from_domain = "a.example";
    p.created = 1000;
    p.expires = expires;
    p.state = "waiting";
    p.sealed_key = std::string("\0key\xff", 5);
    p.size = 42;
    auto added = ledger_->add(p, token_hash("token-" + p.ref));
    EXPECT_TRUE(added) << added.error().text;
    return p;
  }
  TempDir dir_;
  std::optional<Ledger> ledger_;
};

TEST_F(PickupLedger, KeepsTheTokensHashAndTheRow) {
  Pickup p = add();
  EXPECT_EQ(mode_of(Ledger::file_in(dir_.path)), 0600u);
  auto by_token = ledger_->by_token_hash(token_hash("token-" + p.ref));
  ASSERT_TRUE(by_token);
  EXPECT_EQ(by_token->ref, p.ref);
  EXPECT_EQ(by_token->sealed_key, p.sealed_key);
  EXPECT_EQ(by_token->recipient, "bob@example.org");
  EXPECT_TRUE(by_token->readable(1999));
  EXPECT_FALSE(by_token->readable(2000));
  EXPECT_FALSE(ledger_->by_token_hash(token_hash("token-other")));
  // The same token twice is refused (UNIQUE).
  Pickup twin = p;
  twin.ref = new_reference();
  EXPECT_FALSE(ledger_->add(twin, token_hash("token-" + p.ref)));
}

TEST_F(PickupLedger, WrongCodesLockAfterTheLimit) {
  Pickup p = add();
  ASSERT_TRUE(ledger_->set_code(p.ref, code_hash(p.ref, "12345678"), 1600, 1000));
  auto row = ledger_->by_ref(p.ref);
  EXPECT_EQ(row->codes_sent, 1);
  EXPECT_EQ(row->code_hash, code_hash(p.ref, "12345678"));
  for (int i = 1; i < 5; ++i) {
    auto after = ledger_->wrong_code(p.ref, 5, 5000);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->code_tries, i);
    EXPECT_EQ(after->locked_until, 0);
    EXPECT_FALSE(after->code_hash.empty());
  }
  auto locked = ledger_->wrong_code(p.ref, 5, 5000);
  EXPECT_EQ(locked->locked_until, 5000);
  EXPECT_TRUE(locked->code_hash.empty()) << "the code is void";
  // A new code starts its tries at zero.
  ASSERT_TRUE(ledger_->set_code(p.ref, code_hash(p.ref, "87654321"), 1700, 1100));
  EXPECT_EQ(ledger_->by_ref(p.ref)->code_tries, 0);
  EXPECT_EQ(ledger_->by_ref(p.ref)->codes_sent, 2);
}

TEST_F(PickupLedger, SigningInUsesTheCodeUpAndTellsTheFirstTime) {
  Pickup p = add();
  ASSERT_TRUE(ledger_->set_code(p.ref, code_hash(p.ref, "12345678"), 1600, 1000));
  auto first = ledger_->signed_in(p.ref, 1100);
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  auto row = ledger_->by_ref(p.ref);
  EXPECT_EQ(row->state, "opened");
  EXPECT_EQ(row->first_opened, 1100);
  EXPECT_TRUE(row->code_hash.empty());
  EXPECT_FALSE(*ledger_->signed_in(p.ref, 1200));
  EXPECT_EQ(ledger_->by_ref(p.ref)->first_opened, 1100);
}

TEST_F(PickupLedger, ClosingDropsTheKeyOnceAndDueListsExpiredOnes) {
  Pickup soon = add(1500), later = add(3000);
  auto due = ledger_->due(1500);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].ref, soon.ref);
  EXPECT_TRUE(*ledger_->close(soon.ref, "expired"));
  EXPECT_FALSE(*ledger_->close(soon.ref, "revoked")) << "closed already";
  auto row = ledger_->by_ref(soon.ref);
  EXPECT_EQ(row->state, "expired");
  EXPECT_TRUE(row->sealed_key.empty());
  EXPECT_FALSE(row->readable(0));
  EXPECT_TRUE(ledger_->due(1500).empty());
  EXPECT_TRUE(*ledger_->close(later.ref, "revoked"));
  EXPECT_EQ(ledger_->list("revoked").size(), 1u);
  EXPECT_EQ(ledger_->list().size(), 2u);
  ASSERT_TRUE(ledger_->record({later.ref, 1234, "revoked", "by the operator"}));
  auto events = ledger_->events(later.ref);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "revoked");
  EXPECT_EQ(events[0].detail, "by the operator");
}

}  // namespace
}  // namespace sm::pickup
