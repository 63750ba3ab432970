// directory_requirements_test.cpp - the certification requirements a feed
// may carry (issue 17): written only when set, so a feed without them
// keeps its bytes; read back exactly; refused with the field's path when
// malformed; an older reader's way of skipping them is the unknown-field
// rule. The authority's registry keeps them and every publish carries
// them.
#include "directory/feed.h"
#include "directory/registry.h"
#include "directory_test_support.h"

namespace sm::directory {
namespace {

using testing::make_feed;
using testing::make_member;

Feed sample() { return make_feed(3, {make_member("alpha", {"a.example"})}, 1795000000, "CN=Test Authority"); }

TEST(DirectoryRequirements, AbsentUnlessSetSoOldFeedsKeepTheirBytes) {
  Feed f = sample();
  std::string json = canonical_json(f);
  EXPECT_EQ(json.find("requirements"), std::string::npos);
  f.requirements = {"1.0", "2026-12-01", 90};
  std::string with = canonical_json(f);
  EXPECT_NE(with.find(R"("requirements":{"grace_days":90,"profile":"1.0","since":"2026-12-01"})"), std::string::npos)
      << with;
  auto parsed = parse_feed(with);
  ASSERT_TRUE(parsed) << parsed.error().text();
  EXPECT_EQ(parsed->requirements, f.requirements);
  auto without = parse_feed(json);
  ASSERT_TRUE(without);
  EXPECT_FALSE(without->requirements.set());
}

TEST(DirectoryRequirements, MalformedRequirementsNameTheirField) {
  std::string base = canonical_json(sample());
  auto with = [&](const std::string& object) {
    std::string j = base;
    j.insert(j.size() - 1, R"(,"requirements":)" + object);
    return parse_feed(j);
  };
  struct Bad {
    std::string object, where;
  } cases[] = {
      {R"({"profile":"1","since":"2026-12-01"})", "requirements.profile"},
      {R"({"profile":"1.0.1","since":"2026-12-01"})", "requirements.profile"},
      {R"({"profile":"x.y","since":"2026-12-01"})", "requirements.profile"},
      {R"({"profile":"1.0","since":"01/12/2026"})", "requirements.since"},
      {R"({"since":"2026-12-01"})", "requirements.profile"},
      {R"({"profile":"1.0"})", "requirements.since"},
      {R"({"profile":"1.0","since":"2026-12-01","grace_days":-1})", "requirements.grace_days"},
      {R"({"profile":1,"since":"2026-12-01"})", "requirements.profile"},
      {R"("1.0")", "requirements"},
  };
  for (const auto& c : cases) {
    auto r = with(c.object);
    ASSERT_FALSE(r) << c.object;
    EXPECT_EQ(r.error().reason, Rejection::malformed);
    EXPECT_TRUE(r.error().detail.starts_with(c.where)) << c.object << ": " << r.error().detail;
  }
  // Fields a newer authority may add inside are skipped, as everywhere.
  auto newer = with(R"({"profile":"1.0","since":"2026-12-01","grace_days":30,"mandatory":{"x":[1]}})");
  ASSERT_TRUE(newer) << newer.error().text();
  EXPECT_EQ(newer->requirements.grace_days, 30u);
}

TEST(DirectoryRequirements, TheRegistryKeepsThemAndPublishCarriesThem) {
  testing::TestAuthority auth;
  auto reg = Registry::open(auth.dir());
  ASSERT_TRUE(reg) << reg.error().text;
  ASSERT_TRUE(reg->add(make_member("alpha", {"a.example"}, &auth)));
  EXPECT_FALSE(reg->requirements()->set());
  ASSERT_TRUE(reg->set_requirements({"0.9", "2026-12-04", 30}));
  auto again = Registry::open(auth.dir());  // kept in AUTH/directory.sqlite
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->requirements(), (Requirements{"0.9", "2026-12-04", 30}));
  auto feed = again->publish(auth.key(), auth.cert());
  ASSERT_TRUE(feed) << feed.error().text;
  EXPECT_EQ(feed->requirements.profile, "0.9");
  auto bad = again->set_requirements({"nine", "2026-12-04", 30});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().text.find("requirements.profile"), std::string::npos) << bad.error().text;
  ASSERT_TRUE(again->set_requirements({}));  // cleared
  auto plain = again->publish(auth.key(), auth.cert());
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->requirements.set());
}

}  // namespace
}  // namespace sm::directory
