// app_receipts_cli_test.cpp - `securemail receipts list|show` and
// `securemail evidence export|purge` run as the command line runs them, on
// a gateway made by `securemail init`: table and JSON output with the
// stable keys, the --since syntax, and the exit codes (0 done, 1 nothing
// there, 2 bad usage).
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/receipts_command.h"
#include "config/config.h"
#include "evidence/evidence_store.h"
#include "evidence/ledger.h"
#include "gateway/gateway_keys.h"
#include "temp_dir.h"

namespace sm::app {
namespace {

namespace fs = std::filesystem;
using test_support::TempDir;

struct Ran {
  int code = -1;
  std::string out;
};

Ran cli(std::vector<std::string> args) {
  args.insert(args.begin(), "securemail");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  testing::internal::CaptureStdout();
  Ran r;
  r.code = sm::app::main(static_cast<int>(argv.size()), argv.data());
  std::cout.flush();
  std::fflush(stdout);
  r.out = testing::internal::GetCapturedStdout();
  return r;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A gateway for a.example made by `securemail init` (keys in DATA/pki).
class ReceiptsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("sm-receipts-cli");
    ASSERT_EQ(cli({"pki", "authority", "init", "--dir", (dir_->path / "auth").string(), "--key-type", "ec-p256"}).code, 0);
    ASSERT_EQ(cli({"init", "--domain", "a.example", "--authority", (dir_->path / "auth").string(), "--data",
                   (dir_->path / "data").string(), "--hostname", "gw.a.example"})
                  .code,
              0);
  }
  static void TearDownTestSuite() { delete dir_; }
  void TearDown() override {
    for (const char* f : {"receipts.sqlite", "receipts.sqlite-wal", "receipts.sqlite-shm", "evidence.sqlite",
                          "evidence.sqlite-wal", "evidence.sqlite-shm", "evidence"})
      fs::remove_all(data() / f);
    fs::remove_all(dir_->path / "out");
  }
  static fs::path data() { return dir_->path / "data"; }
  static std::string config() { return (data() / "config.toml").string(); }

  void add_seals() {
    auto ledger = evidence::ReceiptLedger::open(data());
    ASSERT_TRUE(ledger) << ledger.error().text;
    evidence::SealRecord seal{"ci1", "<m1@a.example>", "alice@a.example", "", "b.example", "Q1", 1764757200, "sd",
                              {{"bob@b.example", ""}, {"carol@b.example", ""}}};
    ASSERT_TRUE((*ledger)->add(seal));
    seal.content_identifier = "ci2";
    seal.message_id = "m2@a.example";
    seal.queue_id = "Q2";
    seal.sealed_at = now - 3600;
    seal.recipients = {{"dave@c.example", ""}};
    seal.member = "c.example";
    ASSERT_TRUE((*ledger)->add(seal));
    ASSERT_TRUE((*ledger)->settle("ci1", "bob@b.example", 1764757260, 1764757270, "ab", "fp"));
  }

  static TempDir* dir_;
  std::int64_t now = std::time(nullptr);
};
TempDir* ReceiptsCli::dir_ = nullptr;

TEST(ParseSince, DatesTimesAndDurations) {
  EXPECT_EQ(parse_since("2025-12-03", 0), 1764720000);
  EXPECT_EQ(parse_since("2025-12-03T10:20:30Z", 0), 1764757230);
  EXPECT_EQ(parse_since("2025-12-03T10:20:30", 0), 1764757230);
  EXPECT_EQ(parse_since("2025-12-03 10:20", 0), 1764757200);
  EXPECT_EQ(parse_since("2h", 100000), 100000 - 7200);
  EXPECT_EQ(parse_since("3d", 1000000), 1000000 - 3 * 86400);
}

TEST(ParseSince, BadValuesSayWhatIsAccepted) {
  for (const char* bad : {"", "yesterday", "2025-02-30", "2025-13-01", "2025-1-1", "2025-12-03T25:00",
                          "2025-12-03T10:20:30+01:00", "2025-12-03X10:20", "2025-12-03T10:2", "-2h"}) {
    auto r = parse_since(bad, 0);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().find("ISO 8601"), std::string::npos) << r.error();
  }
}

TEST_F(ReceiptsCli, ListWithoutLedgerIsEmpty) {
  auto r = cli({"receipts", "list", "--config", config()});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("No receipts asked for yet"), std::string::npos) << r.out;
  auto j = cli({"receipts", "list", "--config", config(), "--json"});
  EXPECT_EQ(j.code, 0);
  EXPECT_EQ(nlohmann::json::parse(j.out), nlohmann::json::array());
  EXPECT_FALSE(fs::exists(data() / "receipts.sqlite"));  // looking creates nothing
}

TEST_F(ReceiptsCli, ListJsonHasTheStableKeys) {
  add_seals();
  auto r = cli({"receipts", "list", "--config", config(), "--json"});
  ASSERT_EQ(r.code, 0);
  auto rows = nlohmann::json::parse(r.out);
  ASSERT_EQ(rows.size(), 3u);
  const auto& bob = rows[0];
  EXPECT_EQ(bob["content_identifier"], "ci1");
  EXPECT_EQ(bob["message_id"], "m1@a.example");
  EXPECT_EQ(bob["recipient"], "bob@b.example");
  EXPECT_EQ(bob["member"], "b.example");
  EXPECT_EQ(bob["state"], "received");
  EXPECT_EQ(bob["sealed_at"], "2025-12-03T10:20:00Z");
  EXPECT_EQ(bob["signed_at"], "2025-12-03T10:21:00Z");
  EXPECT_EQ(bob["settled_at"], "2025-12-03T10:21:10Z");
  EXPECT_EQ(rows[1]["state"], "pending");
  EXPECT_TRUE(rows[1]["signed_at"].is_null());
  EXPECT_TRUE(rows[1]["settled_at"].is_null());

  auto pending = nlohmann::json::parse(cli({"receipts", "list", "--config", config(), "--pending", "--json"}).out);
  EXPECT_EQ(pending.size(), 2u);
  auto by_id = nlohmann::json::parse(
      cli({"receipts", "list", "--config", config(), "--message-id", "<m2@a.example>", "--json"}).out);
  ASSERT_EQ(by_id.size(), 1u);
  EXPECT_EQ(by_id[0]["recipient"], "dave@c.example");
  auto recent = nlohmann::json::parse(cli({"receipts", "list", "--config", config(), "--since", "2h", "--json"}).out);
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0]["content_identifier"], "ci2");
}

TEST_F(ReceiptsCli, ListTableAndBadSince) {
  add_seals();
  auto r = cli({"receipts", "list", "--config", config()});
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("SEALED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2025-12-03T10:20:00Z  received   2025-12-03T10:21:10Z  bob@b.example"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("<m1@a.example>"), std::string::npos);
  EXPECT_EQ(cli({"receipts", "list", "--config", config(), "--since", "last week"}).code, 2);
  EXPECT_EQ(cli({"receipts", "list", "--config", (dir_->path / "missing.toml").string()}).code, 2);
}

TEST_F(ReceiptsCli, ShowByAnyIdOrExitOne) {
  add_seals();
  for (const char* id : {"ci1", "m1@a.example", "<m1@a.example>", "Q1"}) {
    auto r = cli({"receipts", "show", id, "--config", config(), "--json"});
    ASSERT_EQ(r.code, 0) << id;
    EXPECT_EQ(nlohmann::json::parse(r.out).size(), 2u) << id;
  }
  auto text = cli({"receipts", "show", "Q1", "--config", config()});
  EXPECT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("recipient:          carol@b.example"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("signed by:          fp"), std::string::npos) << text.out;
  EXPECT_EQ(cli({"receipts", "show", "nothing", "--config", config()}).code, 1);
  EXPECT_EQ(cli({"receipts", "show", "--config", config()}).code, 2);
}

TEST_F(ReceiptsCli, EvidenceExportAndPurge) {
  EXPECT_EQ(cli({"evidence", "export", "--config", config(), "--message-id", "m1@a.example", "--out",
                 (dir_->path / "out").string()})
                .code,
            1);  // nothing kept yet
  auto cfg = config::load_file(config());
  ASSERT_TRUE(cfg) << cfg.error();
  auto keys = gateway::GatewayKeys::load(*cfg);
  ASSERT_TRUE(keys) << keys.error().text;
  ASSERT_FALSE((*keys)->identities().empty());
  {
    auto store = evidence::EvidenceStore::open(data(), {{(*keys)->identities()[0].cert}}, (*keys)->identities());
    ASSERT_TRUE(store) << store.error().text;
    evidence::EvidenceEntry e{evidence::EvidenceKind::sent, "", "m1@a.example", "ci1", "b.example", "alice@a.example",
                              now, now + 86400};
    ASSERT_TRUE((*store)->keep("the signed original\r\n", e));
  }
  fs::path out = dir_->path / "out";
  auto r = cli({"evidence", "export", "--config", config(), "--message-id", "<m1@a.example>", "--out", out.string()});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(slurp(out / "original-sent.eml"), "the signed original\r\n");
  EXPECT_TRUE(fs::exists(out / "README.txt"));
  EXPECT_NE(r.out.find("README.txt"), std::string::npos) << r.out;
  // Again into the same (now full) folder: refused, nothing overwritten.
  EXPECT_EQ(cli({"evidence", "export", "--config", config(), "--message-id", "m1@a.example", "--out", out.string()}).code,
            1);
  EXPECT_EQ(cli({"evidence", "export", "--config", config(), "--message-id", "m9@a.example", "--out",
                 (dir_->path / "out9").string()})
                .code,
            1);
  EXPECT_EQ(cli({"evidence", "export", "--config", config(), "--out", out.string()}).code, 2);

  auto purge = cli({"evidence", "purge", "--config", config()});
  EXPECT_EQ(purge.code, 0);
  EXPECT_NE(purge.out.find("Removed 0 expired entries and 0 files"), std::string::npos) << purge.out;
}

}  // namespace
}  // namespace sm::app
