// evidence_export_test.cpp - `evidence export` for real: a message sealed
// with a receipt request, the signed receipt the receiving gateway made,
// the authority and its CRL are kept, exported, and the commands the
// exported README gives are run with the openssl binary - they must
// succeed, and fail once the receipt is altered. Plus the refusals: a
// non-empty folder, an unknown Message-ID.
#include <gtest/gtest.h>

#include <ctime>
#include <sstream>

#include "evidence/evidence_store.h"
#include "smime/receipt.h"
#include "smime_fixture.h"

namespace sm::evidence {
namespace {

using namespace smtest;

// The "  openssl ..." lines of a README.
std::vector<std::string> commands_in(const std::string& readme) {
  std::vector<std::string> out;
  std::istringstream in(readme);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("  openssl ")) out.push_back(line.substr(2));
  return out;
}

class EvidenceExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = EvidenceStore::open(dir.path, {a.recipient()}, {a.identity()});
    ASSERT_TRUE(opened) << opened.error().text;
    store = *opened;
  }

  // a seals sample_message() to b asking for a receipt; b signs one.
  void keep_sent_and_receipt() {
    smime::SignedRecord record;
    ossl::BioPtr copy(BIO_new(BIO_s_mem()));
    SealOptions options;
    auto ci = smime::new_content_identifier();
    ASSERT_TRUE(ci);
    options.sign.receipt_request = smime::ReceiptRequest{*ci, true, {}, {"securemail-receipts@a.example"}};
    options.sign.record = &record;
    options.signed_copy = copy.get();
    seal_string(sample_message(), a.identity(), {b.recipient()}, options);
    ASSERT_FALSE(record.signed_data.empty());
    auto receipt = smime::sign_receipt(record.signed_data, b.identity());
    ASSERT_TRUE(receipt) << receipt.error().text;

    EvidenceEntry e{EvidenceKind::sent, "", "<1234@a.example>", *ci, "b.example", "alice@a.example", now, now + 86400};
    ASSERT_TRUE(store->keep(bio_string(copy.get()), e));
    e.kind = EvidenceKind::authority;
    ASSERT_TRUE(store->keep(slurp(p.ca_file()), e));
    e.kind = EvidenceKind::crl;
    ASSERT_TRUE(store->keep(slurp(pki::Authority::crl_file(p.dir())), e));
    e.kind = EvidenceKind::receipt;
    e.address = "bob@b.example";
    e.at = now + 60;
    ASSERT_TRUE(store->keep(*receipt, e));
  }

  TestPki& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
  TempDir dir{"sm-export"};
  std::shared_ptr<EvidenceStore> store;
  std::int64_t now = std::time(nullptr);
};

TEST_F(EvidenceExportTest, ReadmeCommandsVerifyTheOriginalAndTheReceipt) {
  keep_sent_and_receipt();
  fs::path out = dir.path / "export";
  auto report = export_evidence(*store, "1234@a.example", out);
  ASSERT_TRUE(report) << report.error().text;
  for (const char* name : {"original-sent.eml", "receipt-1.der", "authority.pem", "crl.pem", "authority-crl.pem",
                           "README.txt"})
    EXPECT_TRUE(fs::exists(out / name)) << name;
  EXPECT_EQ(report->files.size(), 6u);

  std::string readme = slurp(out / "README.txt");
  EXPECT_NE(readme.find("confirms bob@b.example"), std::string::npos) << readme;
  auto commands = commands_in(readme);
  ASSERT_EQ(commands.size(), 2u) << readme;
  EXPECT_EQ(commands[0], "openssl cms -verify -in original-sent.eml -CAfile authority-crl.pem -crl_check -attime " +
                             std::to_string(now) + " -out /dev/null");
  EXPECT_EQ(commands[1],
            "openssl cms -verify_receipt receipt-1.der -rctform DER -in original-sent.eml -CAfile authority-crl.pem "
            "-crl_check -attime " + std::to_string(now + 60));
  for (const auto& command : commands) {
    int status = -1;
    std::string output = run("cd " + out.string() + " && " + command + " 2>&1", &status);
    EXPECT_EQ(status, 0) << command << "\n" << output;
  }

  // An altered receipt no longer verifies by the same command.
  std::string der = slurp(out / "receipt-1.der");
  der[der.size() - 8] ^= 0x01;
  spit(out / "receipt-1.der", der);
  int status = 0;
  std::string output = run("cd " + out.string() + " && " + commands[1] + " 2>&1", &status);
  EXPECT_NE(status, 0) << output;
}

TEST_F(EvidenceExportTest, UnknownMessageIdFailsClearly) {
  keep_sent_and_receipt();
  fs::path out = dir.path / "none";
  auto r = export_evidence(*store, "<nothing@a.example>", out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 550);
  EXPECT_NE(r.error().text.find("no evidence kept for Message-ID <nothing@a.example>"), std::string::npos)
      << r.error().text;
  EXPECT_FALSE(fs::exists(out));  // nothing created for nothing
  EXPECT_FALSE(export_evidence(*store, "", out));
}

TEST_F(EvidenceExportTest, NonEmptyFolderIsRefused) {
  keep_sent_and_receipt();
  fs::path out = dir.path / "busy";
  fs::create_directories(out);
  spit(out / "mine.txt", "keep me");
  auto r = export_evidence(*store, "1234@a.example", out);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("not empty"), std::string::npos) << r.error().text;
  EXPECT_EQ(slurp(out / "mine.txt"), "keep me");
  EXPECT_FALSE(fs::exists(out / "README.txt"));

  spit(dir.path / "a-file", "x");
  EXPECT_FALSE(export_evidence(*store, "1234@a.example", dir.path / "a-file"));

  fs::path empty = dir.path / "empty";
  fs::create_directories(empty);
  EXPECT_TRUE(export_evidence(*store, "1234@a.example", empty));
}

}  // namespace
}  // namespace sm::evidence
