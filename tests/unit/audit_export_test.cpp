// audit_export_test.cpp - `audit export` lines: every hashed field, the
// hash re-computable from the line's fields (hashed_text), a checkpoint
// line when the export does not start at entry 1, and --until bounds.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "audit/export.h"
#include "temp_dir.h"
#include "util/hex.h"

namespace sm::audit {
namespace {

std::vector<nlohmann::json> lines_of(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

class AuditExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = AuditTrail::open(dir.path);
    ASSERT_TRUE(opened) << opened.error().text;
    trail = std::move(*opened);
    for (int i = 1; i <= 4; ++i)
      ASSERT_TRUE(trail->append("gateway", "mail.spoof", "d" + std::to_string(i) + ".example", "",
                                R"({"reason":"unsealed","quote":"a\"b"})", i * 1000));
  }
  test_support::TempDir dir{"sm-audit-export"};
  std::unique_ptr<AuditTrail> trail;
};

TEST_F(AuditExportTest, LinesCarryTheHashedFieldsAndRehash) {
  std::ostringstream out;
  auto n = export_jsonl(*trail, 0, 0, out);
  ASSERT_TRUE(n) << n.error().text;
  EXPECT_EQ(*n, 4u);
  auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 4u);  // starts at entry 1: no checkpoint line
  std::string prev(64, '0');
  for (const auto& j : lines) {
    Entry e{j["seq"], j["at"], j["actor"], j["action"], j["object"], j["reference"], j["details"], j["prev_hash"], {}};
    EXPECT_EQ(e.prev_hash, prev);
    std::string text = hashed_text(e);
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
    EXPECT_EQ(to_hex(md, sizeof md), j["hash"].get<std::string>());
    prev = j["hash"];
  }
}

TEST_F(AuditExportTest, APartialExportNamesWhatItFollows) {
  std::ostringstream out;
  auto n = export_jsonl(*trail, 2000, 4000, out);  // entries 2 and 3
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 3u);
  auto all = trail->list({});
  EXPECT_EQ(lines[0]["checkpoint"]["seq"], 1);
  EXPECT_EQ(lines[0]["checkpoint"]["hash"], (*all)[0].hash);
  EXPECT_EQ(lines[1]["seq"], 2);
  EXPECT_EQ(lines[2]["seq"], 3);
}

TEST_F(AuditExportTest, AnEmptyRangeWritesNothing) {
  std::ostringstream out;
  auto n = export_jsonl(*trail, 50000, 0, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace sm::audit
