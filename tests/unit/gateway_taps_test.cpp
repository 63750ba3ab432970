// gateway_taps_test.cpp - interception copies made by the taps with a real
// spool, real keys and a real orders file: one copy per order in force
// that covers the sender, the From: or a handled recipient; the copy is a
// plain S/MIME message signed by our primary domain's key that the
// authorised recipient opens to the original octets; its envelope is
// discreet, from the null sender, to the order's destination, ENVID the
// reference; each copy is an audit entry; expired and removed orders copy
// nothing; a gateway without a key for its domain defers (451).
#include <gtest/gtest.h>

#include <ctime>

#include "gateway/taps.h"
#include "gateway_member_world.h"
#include "policy/intercept.h"
#include "smime/bio_chain.h"
#include "smime/engine.h"

namespace sm::gateway {
namespace {

using testing::MemberWorld;

const std::string kMessage =
    "From: Alice <alice@a.example>\r\nTo: bob@b.example\r\nSubject: lunch\r\nMessage-ID: <m1@a.example>\r\n\r\n"
    "See you at noon.\r\n";

class TapsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto records = open_records(a.config, *a.spool, a.keys);
    ASSERT_TRUE(records) << records.error().text;
    trail = records->trail;
    taps = std::move(records->taps);
    auto opened = policy::InterceptOrders::open(a.config.data_dir);
    ASSERT_TRUE(opened) << opened.error().text;
    orders = std::move(*opened);
    env.id = "Q0000000000000001";
    env.sender = "alice@a.example";
    env.listener = "relay";
    env.recipients = {{"bob@b.example"}, {"carol@c.example"}};
    facts.from = "alice@a.example";
  }
  // The order is entered `age` seconds ago, to hold `left` seconds more.
  void order(const std::string& reference, const std::string& target, std::int64_t left = 3600, std::int64_t age = 10) {
    policy::InterceptOrder o;
    o.reference = reference;
    o.target = target;
    o.created_at = std::time(nullptr) - age;
    o.until = std::time(nullptr) + left;
    o.deliver_to = "li-desk@c.example";
    o.certificate = c.member.certificates.at(0);
    o.created_by = "olga";
    auto ok = orders->add(o);
    ASSERT_TRUE(ok) << ok.error().text;
  }
  std::vector<std::unique_ptr<queue::SpoolWriter>> copies(const std::vector<std::size_t>& recipients) {
    auto made = taps->copies(env, recipients, facts, {}, kMessage);
    EXPECT_TRUE(made) << made.error().text;
    return made ? std::move(*made) : std::vector<std::unique_ptr<queue::SpoolWriter>>{};
  }
  // The authorised recipient (c's key) opens the copy: the original.
  std::string open_as_officer(const std::string& copy) {
    auto trust = c.keys->trust();
    smime::OpenOptions options;
    options.keys = c.keys->identities();
    options.trust = trust.get();
    options.expected_signer_domain = "a.example";
    ossl::BioPtr out(BIO_new(BIO_s_mem()));
    auto verdict = smime::open(smime::MessageSource::memory(copy), out.get(), options);
    EXPECT_TRUE(verdict) << verdict.error().text;
    if (!verdict) return {};
    EXPECT_EQ(verdict->reason, smime::Reason::none) << verdict->detail;
    return std::string(smime::detail::mem_view(out.get()));
  }
  std::vector<audit::Entry> copy_entries() {
    auto listed = trail->list({.action_prefix = "intercept.copy"});
    EXPECT_TRUE(listed);
    return listed ? *listed : std::vector<audit::Entry>{};
  }

  MemberWorld world;
  testing::MemberGateway& a = world["a.example"];
  testing::MemberGateway& c = world["c.example"];
  std::shared_ptr<audit::AuditTrail> trail;
  std::unique_ptr<Taps> taps;
  std::unique_ptr<policy::InterceptOrders> orders;
  mail::Envelope env;
  policy::MessageFacts facts;
};

TEST_F(TapsTest, MatchingOrderMakesOneDiscreetSealedCopy) {
  order("LI-7", "bob@b.example");
  auto made = copies({0, 1});
  ASSERT_EQ(made.size(), 1u);
  auto id = a.spool->commit(std::move(made.front()));
  ASSERT_TRUE(id) << id.error().text;
  auto queued = a.spool->load(*id);
  ASSERT_TRUE(queued);
  const auto& e = queued->envelope;
  EXPECT_TRUE(e.discreet);
  EXPECT_EQ(e.sender, "");
  ASSERT_EQ(e.recipients.size(), 1u);
  EXPECT_EQ(e.recipients[0].address, "li-desk@c.example");
  EXPECT_EQ(e.envid, "LI-7");
  EXPECT_EQ(e.lane, mail::Lane::normal);
  EXPECT_TRUE(e.sealed_for.empty());
  ASSERT_TRUE(queued->octets);  // just committed: still in memory
  std::string copy = *queued->octets;
  EXPECT_EQ(copy.find("SecureMail-Envelope"), std::string::npos);
  EXPECT_EQ(copy.find("See you at noon"), std::string::npos);  // encrypted
  EXPECT_EQ(open_as_officer(copy), kMessage);

  auto entries = copy_entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].actor, "gateway");
  EXPECT_EQ(entries[0].object, env.id);
  EXPECT_EQ(entries[0].reference, "LI-7");
  EXPECT_NE(entries[0].details.find(*id), std::string::npos) << entries[0].details;
  EXPECT_FALSE(*trail->verify());
}

TEST_F(TapsTest, SenderFromAndDomainTargetsMatchEachOrderOnce) {
  order("LI-1", "ALICE@a.example");  // envelope sender and From:
  order("LI-2", "*@c.example");
  order("LI-3", "dave@d.example");
  EXPECT_EQ(copies({0, 1}).size(), 2u);
  EXPECT_EQ(copies({0}).size(), 1u);  // carol is not handled by this resolution
  env.sender = "";
  facts.from = "someone@elsewhere.example";
  EXPECT_TRUE(copies({0}).empty());
  facts.from = "Alice@A.example";
  EXPECT_EQ(copies({0}).size(), 1u);
  EXPECT_EQ(copy_entries().size(), 4u);
}

TEST_F(TapsTest, ExpiredAndRemovedOrdersCopyNothing) {
  order("LI-old", "bob@b.example", -1, 100);  // ended a second ago
  order("LI-gone", "bob@b.example");
  ASSERT_TRUE(orders->remove("LI-gone", std::time(nullptr)));
  // A fresh records set reads the file now (the watch re-reads only every few seconds).
  auto records = open_records(a.config, *a.spool, a.keys);
  ASSERT_TRUE(records);
  auto made = records->taps->copies(env, {0, 1}, facts, {}, kMessage);
  ASSERT_TRUE(made) << made.error().text;
  EXPECT_TRUE(made->empty());
  EXPECT_TRUE(copy_entries().empty());
}

TEST_F(TapsTest, NoKeyForThePrimaryDomainDefers) {
  order("LI-7", "bob@b.example");
  config::Config other = a.config;
  other.domain = "z.example";
  auto records = open_records(other, *a.spool, a.keys);
  ASSERT_TRUE(records);
  auto made = records->taps->copies(env, {0}, facts, {}, kMessage);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, 451);
  EXPECT_NE(made.error().text.find("z.example"), std::string::npos) << made.error().text;
  EXPECT_TRUE(copy_entries().empty());
}

}  // namespace
}  // namespace sm::gateway
