// directory_json_test.cpp - the feed's canonical JSON: stable bytes whatever
// the member order, exact round trips, defaults, and strict parsing that
// names the bad field and never crashes (truncated, garbage, mutated,
// deeply nested, huge numbers, wrong types).
#include <nlohmann/json.hpp>

#include <functional>
#include <random>

#include "directory/feed.h"
#include "directory_test_support.h"
#include "octets.h"

namespace sm::directory {
namespace {

using nlohmann::json;
using testing::make_feed;
using testing::make_member;

Feed sample() {
  Member a = make_member("alpha", {"alpha.example", "alpha.example.org"});
  Member b = make_member("bravo", {"bravo.example"});
  b.include_subdomains = true;
  b.status = Status::suspended;
  b.tier = Tier::trusted_partner;
  Member c = make_member("charlie.gsp-1", {"charlie.example"});
  c.organisation = "Charlie Māori Trust — “quoted” \\ slash";
  return make_feed(7, {b, c, a}, 1795000000, "CN=Test Authority");
}

// The same with the authority's requirements: the mutation and truncation
// tests cover that object too.
Feed sample_with_requirements() {
  Feed f = sample();
  f.requirements = {"1.0", "2026-12-01", 90};
  return f;
}

Feed sorted(Feed f) {
  std::sort(f.members.begin(), f.members.end(), [](auto& x, auto& y) { return x.id < y.id; });
  return f;
}

TEST(DirectoryJson, CanonicalFormIsStableAndIndependentOfMemberOrder) {
  Feed f = sample();
  std::string one = canonical_json(f);
  EXPECT_EQ(one, canonical_json(f));
  Feed reversed = f;
  std::reverse(reversed.members.begin(), reversed.members.end());
  EXPECT_EQ(one, canonical_json(reversed));
  EXPECT_EQ(one, canonical_json(sorted(f)));
  // Compact, keys sorted, members by id, UTF-8 kept as is.
  EXPECT_EQ(one.find('\n'), std::string::npos);
  EXPECT_TRUE(one.starts_with(R"({"authority":"CN=Test Authority","format":"securemail-directory/1","issued":"2026-11-18T11:06:40Z","members":[{)"))
      << one.substr(0, 120);
  EXPECT_LT(one.find(R"("id":"alpha")"), one.find(R"("id":"bravo")"));
  EXPECT_LT(one.find(R"("id":"bravo")"), one.find(R"("id":"charlie.gsp-1")"));
  EXPECT_NE(one.find("Māori"), std::string::npos);
  EXPECT_TRUE(one.ends_with(R"(],"serial":7})"));
  std::string m = member_json(f.members[0]);
  EXPECT_TRUE(m.starts_with(R"({"admin_contact":)")) << m;
}

TEST(DirectoryJson, ParseOfCanonicalGivesTheSameFeed) {
  Feed f = sample();
  auto parsed = parse_feed(canonical_json(f));
  ASSERT_TRUE(parsed) << parsed.error().text();
  EXPECT_EQ(*parsed, sorted(f));
  EXPECT_EQ(canonical_json(*parsed), canonical_json(f));
  for (const Member& m : f.members) {
    auto one = parse_member(member_json(m));
    ASSERT_TRUE(one) << one.error().text();
    EXPECT_EQ(*one, m);
  }
}

TEST(DirectoryJson, OptionalFieldsTakeTheirDefaultsAndUnknownFieldsAreIgnored) {
  auto m = parse_member(R"({"id":"x","organisation":"X","domains":["x.example"],
      "certificates":["-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"],
      "capabilities":["auth-enveloped","teleport"],"future_field":{"a":[1,2]}})");
  ASSERT_TRUE(m) << m.error().text();
  EXPECT_EQ(m->admin_contact, "securemailadmin@x.example");
  EXPECT_EQ(m->status, Status::active);
  EXPECT_EQ(m->tier, Tier::member);
  EXPECT_FALSE(m->include_subdomains);
  EXPECT_TRUE(m->endpoints.empty());
  EXPECT_TRUE(m->has(kCapAuthEnveloped));
  EXPECT_TRUE(m->has("teleport"));  // unknown capabilities are kept
  EXPECT_FALSE(m->has(kCapReceipts));
  // A suspended member may have no certificate left.
  EXPECT_TRUE(parse_member(R"({"id":"y","organisation":"Y","domains":["y.example"],"status":"suspended"})"));
}

TEST(DirectoryJson, EnumNamesRoundTrip) {
  EXPECT_EQ(to_string(Tier::trusted_partner), "trusted-partner");
  EXPECT_EQ(parse_tier("trusted-partner"), Tier::trusted_partner);
  EXPECT_EQ(parse_status("suspended"), Status::suspended);
  EXPECT_FALSE(parse_status("Active"));
  EXPECT_FALSE(parse_tier(""));
}

// A valid feed as a JSON tree, for the mutation cases below.
json sample_tree() { return json::parse(canonical_json(sample())); }

struct Case {
  const char* name;
  std::function<void(json&)> mutate;
  const char* detail;  // must appear in the error
};

TEST(DirectoryJson, EveryBadFieldIsMalformedWithItsPath) {
  const std::vector<Case> cases = {
      {"format tag", [](json& j) { j["format"] = "securemail-directory/2"; }, "format: expected"},
      {"format type", [](json& j) { j["format"] = 1; }, "format: must be a string"},
      {"no serial", [](json& j) { j.erase("serial"); }, "serial: missing"},
      {"serial string", [](json& j) { j["serial"] = "7"; }, "serial: must be a non-negative integer"},
      {"serial negative", [](json& j) { j["serial"] = -7; }, "serial: must be a non-negative integer"},
      {"serial float", [](json& j) { j["serial"] = 7.5; }, "serial: must be a non-negative integer"},
      {"no issued", [](json& j) { j.erase("issued"); }, "issued: missing"},
      {"issued text", [](json& j) { j["issued"] = "yesterday"; }, "issued: not a UTC time"},
      {"issued date", [](json& j) { j["issued"] = "2026-02-30T00:00:00Z"; }, "issued: not a UTC time"},
      {"issued number", [](json& j) { j["issued"] = 1795000000; }, "issued: must be a string"},
      {"no authority", [](json& j) { j.erase("authority"); }, "authority: missing"},
      {"no members", [](json& j) { j.erase("members"); }, "members: missing"},
      {"members object", [](json& j) { j["members"] = json::object(); }, "members: must be an array"},
      {"member not object", [](json& j) { j["members"][1] = "bravo"; }, "members[1]: must be an object"},
      {"no id", [](json& j) { j["members"][1].erase("id"); }, "members[1].id: missing"},
      {"bad id", [](json& j) { j["members"][0]["id"] = "Alpha_1"; }, "members[0].id: not a member id"},
      {"empty id", [](json& j) { j["members"][0]["id"] = ""; }, "members[0].id: must not be empty"},
      {"no organisation", [](json& j) { j["members"][0].erase("organisation"); }, "members[0].organisation: missing"},
      {"no domains", [](json& j) { j["members"][2].erase("domains"); }, "members[2].domains: missing"},
      {"domains empty", [](json& j) { j["members"][0]["domains"] = json::array(); }, "members[0].domains: must list"},
      {"domain type", [](json& j) { j["members"][0]["domains"][1] = 5; }, "members[0].domains[1]: must be a string"},
      {"domain case", [](json& j) { j["members"][0]["domains"][0] = "Alpha.example"; }, "members[0].domains[0]: not a lower-case host name"},
      {"domain syntax", [](json& j) { j["members"][0]["domains"][0] = "a..example"; }, "members[0].domains[0]"},
      {"domain label", [](json& j) { j["members"][0]["domains"][0] = std::string(64, 'a') + ".example"; }, "members[0].domains[0]"},
      {"subdomains type", [](json& j) { j["members"][0]["include_subdomains"] = "yes"; }, "include_subdomains: must be true or false"},
      {"endpoint port", [](json& j) { j["members"][0]["endpoints"] = {"mx.alpha.example"}; }, "members[0].endpoints[0]: not host:port"},
      {"endpoint range", [](json& j) { j["members"][0]["endpoints"] = {"mx.alpha.example:70000"}; }, "members[0].endpoints[0]"},
      {"endpoints type", [](json& j) { j["members"][0]["endpoints"] = "mx:25"; }, "members[0].endpoints: must be an array"},
      {"certificate text", [](json& j) { j["members"][0]["certificates"] = {"hello"}; }, "members[0].certificates[0]: not a PEM certificate"},
      {"no certificate", [](json& j) { j["members"][0]["certificates"] = json::array(); }, "members[0].certificates: an active member needs"},
      {"jurisdiction", [](json& j) { j["members"][0]["jurisdiction"] = "nz"; }, "members[0].jurisdiction"},
      {"contact", [](json& j) { j["members"][0]["admin_contact"] = "nobody"; }, "members[0].admin_contact: not an address"},
      {"status", [](json& j) { j["members"][0]["status"] = "gone"; }, "members[0].status"},
      {"tier", [](json& j) { j["members"][0]["tier"] = 2; }, "members[0].tier: must be a string"},
      {"created negative", [](json& j) { j["members"][0]["created"] = -5; }, "members[0].created: must not be negative"},
      {"created float", [](json& j) { j["members"][0]["created"] = 1.0; }, "members[0].created: must be an integer"},
      {"created huge", [](json& j) { j["members"][0]["updated"] = UINT64_MAX; }, "members[0].updated: must be an integer"},
      {"created text", [](json& j) { j["members"][0]["created"] = "1700000000"; }, "members[0].created: must be an integer"},
      {"certification type", [](json& j) { j["members"][0]["certification"] = "pass"; }, "members[0].certification: must be an object"},
      {"certification date", [](json& j) { j["members"][0]["certification"]["date"] = "15/01/2026"; }, "members[0].certification.date"},
      {"capability type", [](json& j) { j["members"][0]["capabilities"] = {"ec", nullptr}; }, "members[0].capabilities[1]: must be a string"},
  };
  for (const Case& c : cases) {
    json tree = sample_tree();
    c.mutate(tree);
    auto parsed = parse_feed(tree.dump());
    ASSERT_FALSE(parsed) << c.name;
    EXPECT_EQ(parsed.error().reason, Rejection::malformed) << c.name;
    EXPECT_NE(parsed.error().detail.find(c.detail), std::string::npos)
        << c.name << ": " << parsed.error().detail;
    EXPECT_TRUE(parsed.error().text().starts_with("malformed: ")) << c.name;
  }
}

TEST(DirectoryJson, AFieldGivenTwiceIsMalformedUnknownOnesAreSkippedAtAnyDepth) {
  std::string text = canonical_json(sample());
  std::string twice = text;
  twice.insert(1, R"("serial":1,)");
  auto r = parse_feed(twice);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("serial: given twice"), std::string::npos) << r.error().detail;
  std::string member_twice = text;
  member_twice.insert(member_twice.find(R"("id":"alpha")"), R"("id":"zulu",)");
  r = parse_feed(member_twice);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("members[0].id: given twice"), std::string::npos) << r.error().detail;

  json tree = sample_tree();
  tree["future"] = {{"deep", {{"deeper", {1, {{"x", {true, nullptr}}}, "s"}}}}};
  tree["members"][0]["future"] = json::array({json::array({json::object()})});
  tree["members"][0]["certification"]["future"] = {{"k", "v"}};
  auto parsed = parse_feed(tree.dump());
  ASSERT_TRUE(parsed) << parsed.error().text();
  EXPECT_EQ(*parsed, sorted(sample()));
}

TEST(DirectoryJson, GarbageIsMalformedNeverACrash) {
  const std::vector<std::string> inputs = {
      "", " ", "garbage", "{", "}", "[]", "null", "7", "\"text\"", "{\"format\":}",
      std::string("{\"a\":\"\xff\xfe\"}"),                       // invalid UTF-8
      securemail::test::octets("{\"format\":\"securemail-directory/1\"\0}"),  // NUL byte
      R"({"format":"securemail-directory/1","serial":1e400,"issued":"2026-01-01T00:00:00Z","authority":"","members":[]})",
      R"({"format":"securemail-directory/1","serial":123456789012345678901234567890,"issued":"2026-01-01T00:00:00Z","authority":"","members":[]})",
      std::string(200000, '[') + std::string(200000, ']'),       // deep nesting
      "{\"members\":" + std::string(100000, '[') ,
  };
  for (const std::string& text : inputs) {
    auto parsed = parse_feed(text);
    ASSERT_FALSE(parsed) << text.substr(0, 60);
    EXPECT_EQ(parsed.error().reason, Rejection::malformed);
    EXPECT_FALSE(parse_member(text)) << text.substr(0, 60);
  }
}

TEST(DirectoryJson, EveryTruncationOfAFeedIsMalformed) {
  for (const Feed& f : {sample(), sample_with_requirements()}) {
    std::string text = canonical_json(f);
    for (std::size_t n = 0; n < text.size(); ++n) {
      auto parsed = parse_feed(std::string_view(text).substr(0, n));
      ASSERT_FALSE(parsed) << n;
      ASSERT_EQ(parsed.error().reason, Rejection::malformed) << n;
    }
    EXPECT_TRUE(parse_feed(text));
  }
}

TEST(DirectoryJson, RandomMutationsOfFeedWithRequirementsNeverCrash) {
  std::string text = canonical_json(sample_with_requirements());
  std::mt19937 rng(20261204);
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = text;
    std::size_t at = text.find("requirements") + rng() % 80;  // around the requirements object
    if (at >= mutated.size()) at = mutated.size() - 1;
    switch (rng() % 3) {
      case 0: mutated[at] = static_cast<char>(rng()); break;
      case 1: mutated.erase(at, 1 + rng() % 8); break;
      default: mutated.insert(at, 1, "{}[]\",:0-e\\"[rng() % 12]); break;
    }
    auto parsed = parse_feed(mutated);
    if (!parsed) {
      EXPECT_FALSE(parsed.error().detail.empty());
    }
  }
}

TEST(DirectoryJson, RandomMutationsNeverCrash) {
  std::string text = canonical_json(sample());
  std::mt19937 rng(20261123);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = text;
    for (int k = 0; k < 1 + i % 4; ++k) {
      std::size_t at = rng() % mutated.size();
      switch (rng() % 3) {
        case 0: mutated[at] = static_cast<char>(rng()); break;
        case 1: mutated.erase(at, 1 + rng() % 8); break;
        default: mutated.insert(at, 1, "{}[]\",:0-e\\"[rng() % 12]); break;
      }
      if (mutated.empty()) mutated = "x";
    }
    auto parsed = parse_feed(mutated);
    if (parsed) ++accepted;
    else EXPECT_FALSE(parsed.error().detail.empty());
  }
  EXPECT_LT(accepted, 3000);
}

}  // namespace
}  // namespace sm::directory
