// policy_engine_test.cpp - the per-recipient decision (policy/engine.h):
// the defaults, every condition of a rule, first-match order, each guard
// by name with its reason, the RCPT-time early() refusal, the inbound
// accreditation check and the journal rules.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "policy/engine.h"

using namespace sm;
using config::PolicyDecision;
using policy::Engine;
using policy::MessageFacts;
using policy::RecipientFacts;
using policy::Verdict;

namespace {

config::Config policy_config(std::string_view rules = "") {
  auto c = config::load_string("domain = \"agency.govt.nz\"\n" + std::string(rules), "config.toml", "/etc/securemail");
  EXPECT_TRUE(c.has_value()) << c.error();
  return c ? *c : config::embedded_default();
}

directory::Member member(std::string id, std::string jurisdiction = "NZ", std::string max_marking = "",
                         directory::Tier tier = directory::Tier::member) {
  directory::Member m;
  m.id = std::move(id);
  m.domains = {m.id + ".example"};
  m.jurisdiction = std::move(jurisdiction);
  m.max_marking = std::move(max_marking);
  m.tier = tier;
  return m;
}

// A recipient: local, at a member, or outside.
RecipientFacts to(std::string address, const directory::Member* m = nullptr, bool local = false) {
  return RecipientFacts{std::move(address), local, m, ""};
}

struct EngineTest : ::testing::Test {
  config::Config cfg = policy_config();
  directory::Member partner = member("partner");
  MessageFacts facts;

  void SetUp() override {
    facts.sender = "alice@agency.govt.nz";
    facts.listener = "submission";
    facts.content_known = true;
    facts.size = 1000;
  }
  // The message marked as `text` says ("[RESTRICTED:MEDICAL]").
  void mark(std::string_view text) {
    policy::MarkingReader reader(cfg.markings);
    auto m = reader.whole(text);
    ASSERT_TRUE(m) << text;
    facts.marking = *m;
  }
  Verdict decide(const RecipientFacts& r) { return Engine(cfg).decide(facts, r); }
};

}  // namespace

TEST_F(EngineTest, Defaults) {
  auto local = decide(to("bob@agency.govt.nz", nullptr, true));
  EXPECT_EQ(local.decision, PolicyDecision::plain);
  EXPECT_EQ(local.rule, "default");
  auto sealed = decide(to("carol@partner.example", &partner));
  EXPECT_EQ(sealed.decision, PolicyDecision::seal);
  EXPECT_EQ(sealed.explanation.front(), "default: member partner: seal");
  auto outside = decide(to("dan@public.example"));
  EXPECT_EQ(outside.decision, PolicyDecision::plain);
  partner.status = directory::Status::suspended;
  auto suspended = decide(to("carol@partner.example", &partner));
  EXPECT_EQ(suspended.decision, PolicyDecision::refuse);
  EXPECT_EQ(suspended.rule, "member-suspended");
  EXPECT_EQ(suspended.code, 550);
  EXPECT_EQ(suspended.status, "5.7.1");
}

TEST_F(EngineTest, FirstMatchDecidesAndEveryRuleIsExplained) {
  cfg = policy_config(R"(
[[policy.rule]]
name = "to-public"
to = ["*@public.example"]
decision = "hold"
[[policy.rule]]
name = "all-public"
to = ["*@.example"]
decision = "refuse"
reason = "not to example domains"
)");
  auto held = decide(to("dan@public.example"));
  EXPECT_EQ(held.decision, PolicyDecision::hold);
  EXPECT_EQ(held.rule, "to-public");
  EXPECT_EQ(held.reason, "held by the policy rule to-public");
  auto refused = decide(to("eve@x.other.example"));
  EXPECT_EQ(refused.decision, PolicyDecision::refuse);
  EXPECT_EQ(refused.reason, "not to example domains");
  EXPECT_EQ(refused.explanation,
            (std::vector<std::string>{"rule to-public: no match (to)", "rule all-public: match: refuse"}));
  auto none = decide(to("frank@other.test"));
  EXPECT_EQ(none.rule, "default");
  EXPECT_EQ(none.explanation.size(), 3u);
}

TEST_F(EngineTest, APickupRuleCarriesItsPdfOption) {
  cfg = policy_config(R"(
[pickup]
listen = "127.0.0.1:8443"
public_url = "https://p.agency.govt.nz:8443/"
[[policy.rule]]
name = "pdf"
to = ["dan@public.example"]
decision = "pickup"
pickup_pdf = true
[[policy.rule]]
name = "page"
to = ["*@public.example"]
decision = "pickup"
)");
  auto pdf = decide(to("dan@public.example"));
  EXPECT_EQ(pdf.decision, PolicyDecision::pickup);
  EXPECT_TRUE(pdf.pickup_pdf);
  auto page = decide(to("eve@public.example"));
  EXPECT_EQ(page.decision, PolicyDecision::pickup);
  EXPECT_FALSE(page.pickup_pdf);
}

TEST_F(EngineTest, EveryConditionKind) {
  struct Case {
    std::string when;
    bool holds;
  };
  partner.max_marking = "RESTRICTED";
  mark("[SENSITIVE]");
  facts.triggers = {"SEEMAIL"};
  facts.strong = facts.authenticated = true;
  facts.size = 5000;
  facts.attachment_types = {"application/zip"};
  facts.attachment_names = {"report.zip"};
  const std::vector<Case> cases = {
      {"direction = \"outbound\"", true},        {"direction = \"inbound\"", false},
      {"from = [\"*@agency.govt.nz\"]", true},   {"from = [\"*@other.example\"]", false},
      {"to = [\"carol@partner.example\"]", true}, {"to = [\"*@.example\"]", true},
      {"to = [\"*@example\"]", false},           {"member = true", true},
      {"member = false", false},                 {"member_id = [\"partner\"]", true},
      {"member_id = [\"other\"]", false},        {"marking_min = \"SENSITIVE\"", true},
      {"marking_min = \"RESTRICTED\"", false},   {"marking_max = \"IN-CONFIDENCE\"", false},
      {"marked = true", true},                   {"marked = false", false},
      {"trigger = \"SEEMAIL\"", true},           {"trigger = \"TRUSTED\"", false},
      {"strong = true", true},                   {"authenticated = false", false},
      {"jurisdiction = \"NZ\"", true},           {"jurisdiction = [\"AU\"]", false},
      {"size_over = 4000", true},                {"size_over = 5000", false},
      {"attachment_type = \"application/*\"", true}, {"attachment_type = \"*.ZIP\"", true},
      {"attachment_type = \"*.exe\"", false},    {"personal = false", true},
      {"personal = true", false},
  };
  for (const auto& c : cases) {
    cfg = policy_config("[[policy.rule]]\nname = \"r\"\ndecision = \"hold\"\n" + c.when + "\n");
    auto v = decide(to("carol@partner.example", &partner));
    EXPECT_EQ(v.rule == "r", c.holds) << c.when << ": " << v.explanation.front();
  }
}

TEST_F(EngineTest, EarlyRefusesAtRcptOnlyWhatTheEnvelopeDecides) {
  cfg = policy_config(R"(
[[policy.rule]]
name = "no-competitor"
to = ["*@competitor.example"]
decision = "refuse"
[[policy.rule]]
name = "big"
size_over = 1000
decision = "refuse"
[[policy.rule]]
name = "after-content"
to = ["*@late.example"]
decision = "refuse"
)");
  Engine engine(cfg);
  facts.content_known = false;
  auto refused = engine.early(facts, to("x@competitor.example"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->rule, "no-competitor");
  // A content rule comes first: nothing can be said before DATA.
  EXPECT_FALSE(engine.early(facts, to("x@late.example")));
  EXPECT_FALSE(engine.early(facts, to("x@partner.example", &partner)));
  partner.status = directory::Status::suspended;
  auto suspended = engine.early(facts, to("x@partner.example", &partner));
  ASSERT_TRUE(suspended);
  EXPECT_EQ(suspended->rule, "member-suspended");
  directory::Member abroad = member("abroad", "US");
  config::Config plain_config = policy_config();
  auto sovereignty = Engine(plain_config).early(facts, to("x@abroad.example", &abroad));
  ASSERT_TRUE(sovereignty);
  EXPECT_EQ(sovereignty->rule, "sovereignty-member");
}

TEST_F(EngineTest, RestrictedNeverGoesPlain) {
  mark("[RESTRICTED]");
  facts.triggers = {"RESTRICTED"};
  auto v = decide(to("dan@public.example"));
  EXPECT_EQ(v.decision, PolicyDecision::refuse);
  EXPECT_EQ(v.rule, "marking-plain");
  EXPECT_EQ(v.reason, "the message is marked [RESTRICTED], which goes only sealed to a SecureMail member accredited for "
                      "it; <dan@public.example> is not a member");
  // Not even a rule can send it plain.
  cfg = policy_config("[[policy.rule]]\nname = \"open\"\ndecision = \"plain\"\n");
  EXPECT_EQ(decide(to("dan@public.example")).decision, PolicyDecision::refuse);
}

TEST_F(EngineTest, MarkingGuards) {
  mark("[SECRET]");
  auto internet = decide(to("carol@partner.example", &partner));
  EXPECT_EQ(internet.rule, "marking-internet");
  EXPECT_EQ(decide(to("bob@agency.govt.nz", nullptr, true)).decision, PolicyDecision::plain);

  mark("[SENSITIVE]");
  auto member_not_accredited = decide(to("carol@partner.example", &partner));  // member_default IN-CONFIDENCE
  EXPECT_EQ(member_not_accredited.rule, "marking-member");
  EXPECT_NE(member_not_accredited.reason.find("is not accredited for it (member partner is accredited to IN-CONFIDENCE)"),
            std::string::npos);
  partner.max_marking = "RESTRICTED";
  EXPECT_EQ(decide(to("carol@partner.example", &partner)).decision, PolicyDecision::seal);

  cfg = policy_config("[sovereignty]\napproved = [\"NZ\", \"AU\", \"GB\"]\n");  // sealing to them is allowed
  mark("[IN-CONFIDENCE:NZEO]");
  directory::Member aussie = member("aussie", "AU", "RESTRICTED");
  EXPECT_EQ(decide(to("x@aussie.example", &aussie)).rule, "marking-eyes-only");
  EXPECT_EQ(decide(to("carol@partner.example", &partner)).decision, PolicyDecision::seal);
  EXPECT_EQ(decide(to("dan@public.example")).rule, "marking-eyes-only");

  mark("[IN-CONFIDENCE//REL TO NZL, AUS]");
  EXPECT_EQ(decide(to("x@aussie.example", &aussie)).decision, PolicyDecision::seal);
  directory::Member brit = member("brit", "GB", "RESTRICTED");
  EXPECT_EQ(decide(to("x@brit.example", &brit)).rule, "marking-release-to");

  cfg = policy_config("[markings]\ndistribution_lists = [\"all-staff@agency.govt.nz\"]\n");
  mark("[IN-CONFIDENCE:NZEO]");
  EXPECT_EQ(decide(to("all-staff@agency.govt.nz", nullptr, true)).rule, "marking-distribution-list");

  mark("[IN-CONFIDENCE]");
  facts.personal = true;
  EXPECT_EQ(decide(to("bob@agency.govt.nz", nullptr, true)).rule, "marking-personal");
}

TEST_F(EngineTest, UnmarkedRefusedWhenConfigured) {
  EXPECT_EQ(decide(to("dan@public.example")).decision, PolicyDecision::plain);
  cfg = policy_config("[markings]\nunmarked = \"refuse\"\n");
  auto v = decide(to("dan@public.example"));
  EXPECT_EQ(v.rule, "marking-unmarked");
  EXPECT_EQ(decide(to("bob@agency.govt.nz", nullptr, true)).decision, PolicyDecision::plain);
}

TEST_F(EngineTest, TriggerTiers) {
  directory::Member trusted = member("trusted", "NZ", "", directory::Tier::trusted_partner);
  facts.triggers = {"SEEMAIL"};
  auto outside = decide(to("dan@public.example"));
  EXPECT_EQ(outside.decision, PolicyDecision::return_);
  EXPECT_EQ(outside.rule, "trigger-SEEMAIL");
  EXPECT_EQ(outside.reason,
            "the message carries [SEEMAIL], which goes only to SecureMail members; <dan@public.example> is not one");
  EXPECT_EQ(decide(to("x@trusted.example", &trusted)).rule, "trigger-SEEMAIL");
  EXPECT_EQ(decide(to("carol@partner.example", &partner)).decision, PolicyDecision::seal);
  EXPECT_EQ(decide(to("bob@agency.govt.nz", nullptr, true)).decision, PolicyDecision::plain);

  facts.triggers = {"TRUSTED"};
  EXPECT_EQ(decide(to("x@trusted.example", &trusted)).decision, PolicyDecision::seal);
  EXPECT_EQ(decide(to("dan@public.example")).rule, "trigger-TRUSTED");

  facts.triggers = {"SENSITIVE"};
  EXPECT_EQ(decide(to("x@trusted.example", &trusted)).rule, "trigger-SENSITIVE");
  trusted.max_marking = "SENSITIVE";
  EXPECT_EQ(decide(to("x@trusted.example", &trusted)).decision, PolicyDecision::seal);

  facts.triggers = {"IN-CONFIDENCE"};
  EXPECT_EQ(decide(to("x@trusted.example", &trusted)).decision, PolicyDecision::seal);
  EXPECT_EQ(decide(to("dan@public.example")).decision, PolicyDecision::return_);
  cfg = policy_config("[markings]\nrelease = [\"*@citizen.example\"]\n");  // released to: a participant
  EXPECT_EQ(decide(to("x@citizen.example")).decision, PolicyDecision::plain);
  EXPECT_EQ(decide(to("x@citizen.example")).rule, "default");
  facts.triggers = {"SEEMAIL"};
  EXPECT_EQ(decide(to("x@citizen.example")).rule, "trigger-SEEMAIL");
}

TEST_F(EngineTest, SovereigntyOfRoutes) {
  cfg = policy_config("[routes]\n\"offshore.example\" = \"smtp://192.0.2.1:25\"\n[sovereignty.routes]\n\"offshore.example\" = \"US\"\n");
  RecipientFacts offshore = to("x@offshore.example");
  offshore.route_jurisdiction = "US";
  EXPECT_EQ(decide(offshore).decision, PolicyDecision::plain);  // unmarked: not checked
  mark("[IN-CONFIDENCE]");
  auto v = decide(offshore);
  EXPECT_EQ(v.rule, "sovereignty-route");
  EXPECT_EQ(v.reason, "the message is marked [IN-CONFIDENCE] and the route to <x@offshore.example> is in US, outside the "
                      "approved jurisdictions (NZ)");
}

TEST_F(EngineTest, ReleaseStripsMarkingsOnlyForReleasedRecipients) {
  cfg = policy_config("trigger = []\n[markings]\nrelease = [\"*@citizen.example\"]\n");
  mark("[IN-CONFIDENCE]");
  EXPECT_TRUE(decide(to("x@citizen.example")).strip_marking);
  EXPECT_FALSE(decide(to("x@public.example")).strip_marking);
}

TEST_F(EngineTest, InboundAboveAccreditationRefused) {
  Engine engine(cfg);
  facts.outbound = false;
  mark("[RESTRICTED]");
  EXPECT_FALSE(engine.inbound(facts));
  mark("[CONFIDENTIAL]");
  auto v = engine.inbound(facts);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->rule, "marking-accreditation");
  EXPECT_EQ(v->reason, "the message is marked [CONFIDENTIAL], above what this gateway is accredited to hold (RESTRICTED)");
  EXPECT_EQ(engine.decide(facts, to("bob@agency.govt.nz", nullptr, true)).decision, PolicyDecision::refuse);
}

TEST_F(EngineTest, JournalRules) {
  namespace fs = std::filesystem;
  fs::path pem = fs::temp_directory_path() / ("sm-engine-archive-" + std::to_string(::getpid()) + ".pem");
  { std::ofstream(pem) << "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"; }
  cfg = policy_config("[journal]\naddress = \"records@archive.govt.nz\"\ncertificate = \"" + pem.string() +
                         "\"\n[[journal.rule]]\nname = \"outbound\"\ndirection = \"outbound\"\n"
                         "[[journal.rule]]\nname = \"personal-marked\"\npersonal = true\nmarked = true\n");
  fs::remove(pem);
  Engine engine(cfg);
  RecipientFacts dan = to("dan@public.example");
  EXPECT_EQ(engine.journal(facts, dan), std::vector<std::string>{"outbound"});
  facts.personal = true;  // personal mail only by a rule that says personal = true
  EXPECT_TRUE(engine.journal(facts, dan).empty());
  mark("[IN-CONFIDENCE]");
  EXPECT_EQ(engine.journal(facts, dan), std::vector<std::string>{"personal-marked"});
}

TEST(PolicyEngine, DecisionNames) {
  EXPECT_EQ(policy::to_string(PolicyDecision::return_), "return");
  EXPECT_EQ(policy::to_string(PolicyDecision::seal), "seal");
  EXPECT_TRUE(policy::glob_matches("*.exe", "SETUP.EXE"));
  EXPECT_FALSE(policy::glob_matches("*.exe", "setup.exe.txt"));
  EXPECT_TRUE(policy::glob_matches("image/*", "image/png"));
}

// 200 rules that do not match, then the default: the rate is printed (the
// figure in the report); the bound only catches a policy walk gone quadratic.
TEST(PolicyEngine, TwoHundredRulesStayFast) {
  std::string rules;
  for (int i = 0; i < 200; ++i)
    rules += "[[policy.rule]]\nname = \"r" + std::to_string(i) + "\"\nto = [\"*@d" + std::to_string(i) +
             ".example\", \"*@.s" + std::to_string(i) + ".example\"]\nmarking_min = \"SENSITIVE\"\n"
             "attachment_type = [\"*.exe\", \"application/x-msdownload\"]\ndecision = \"refuse\"\n";
  config::Config cfg = policy_config(rules);
  ASSERT_EQ(cfg.rules.size(), 200u);
  Engine engine(cfg);
  MessageFacts facts;
  facts.sender = "alice@agency.govt.nz";
  facts.content_known = true;
  directory::Member partner = member("partner");
  std::vector<RecipientFacts> recipients;
  for (int i = 0; i < 10; ++i) recipients.push_back(to("user" + std::to_string(i) + "@partner.example", &partner));
  constexpr int kMessages = 1000;
  auto start = std::chrono::steady_clock::now();
  std::size_t sealed = 0;
  for (int m = 0; m < kMessages; ++m)
    for (const auto& r : recipients) sealed += engine.decide(facts, r).decision == PolicyDecision::seal;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(sealed, 10u * kMessages);
  std::printf("200-rule policy: %.0f decisions/s (%d messages x 10 recipients in %.3f s)\n",
              10 * kMessages / seconds, kMessages, seconds);
  EXPECT_LT(seconds, 20.0);
}
