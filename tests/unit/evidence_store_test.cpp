// evidence_store_test.cpp - kept evidence: files encrypted to our own
// certificate and content-addressed, read back only with our key, indexed
// by Message-ID, and purged by retention without losing a file another
// kept entry still uses; orphans swept after a day.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>

#include "evidence/evidence_store.h"
#include "smime_fixture.h"

namespace sm::evidence {
namespace {

using namespace smtest;

std::size_t count_files(const fs::path& folder) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(folder))
    if (e.is_regular_file()) ++n;
  return n;
}

class EvidenceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = EvidenceStore::open(dir.path, {own.recipient()}, {own.identity()});
    ASSERT_TRUE(opened) << opened.error().text;
    store = *opened;
  }
  EvidenceEntry entry(EvidenceKind kind, std::string message_id, std::int64_t keep_until) {
    EvidenceEntry e;
    e.kind = kind;
    e.message_id = std::move(message_id);
    e.member = "b.example";
    e.address = "alice@a.example";
    e.at = now;
    e.keep_until = keep_until;
    return e;
  }
  fs::path file_of(const std::string& sha) { return dir.path / "evidence" / sha.substr(0, 2) / (sha + ".cms"); }

  TestPki& p = TestPki::get();
  const Gateway& own = p.gateway("a.example");
  TempDir dir{"sm-evidence"};
  std::shared_ptr<EvidenceStore> store;
  std::int64_t now = std::time(nullptr);
  const std::string plain = "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"\r\n\r\nsecret figures\r\n";
};

TEST_F(EvidenceStoreTest, PutThenReadRoundTrips) {
  auto sha = store->put(plain);
  ASSERT_TRUE(sha) << sha.error().text;
  EXPECT_EQ(sha->size(), 64u);
  auto back = store->read(*sha);
  ASSERT_TRUE(back) << back.error().text;
  EXPECT_EQ(*back, plain);
}

TEST_F(EvidenceStoreTest, FileOnDiskIsEncryptedAndPrivate) {
  auto sha = store->put(plain);
  ASSERT_TRUE(sha);
  fs::path file = file_of(*sha);
  ASSERT_TRUE(fs::exists(file));
  std::string raw = slurp(file);
  EXPECT_EQ(raw.find("secret figures"), std::string::npos);
  EXPECT_NE(raw, plain);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(EvidenceStoreTest, SamePlaintextTwiceIsOneFile) {
  auto a = store->put(plain);
  auto b = store->put(plain);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(count_files(store->folder()), 1u);
  ASSERT_TRUE(store->put("another"));
  EXPECT_EQ(count_files(store->folder()), 2u);
}

TEST_F(EvidenceStoreTest, ReadRefusesBadNamesMissingFilesAndForeignKeys) {
  EXPECT_FALSE(store->read("../../etc/passwd"));
  EXPECT_FALSE(store->read(std::string(64, 'A')));  // upper case is not how we name files
  auto missing = store->read(std::string(64, 'a'));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().text.find("aaaa"), std::string::npos) << missing.error().text;

  auto sha = store->put(plain);
  ASSERT_TRUE(sha);
  const Gateway& stranger = p.gateway("c.example");
  auto other = EvidenceStore::open(dir.path, {stranger.recipient()}, {stranger.identity()});
  ASSERT_TRUE(other);
  EXPECT_FALSE((*other)->read(*sha));
  auto writer_only = EvidenceStore::open(dir.path, {own.recipient()}, {});
  ASSERT_TRUE(writer_only);
  EXPECT_FALSE((*writer_only)->read(*sha));
}

TEST_F(EvidenceStoreTest, TamperedFileIsRefused) {
  auto sha = store->put(plain);
  ASSERT_TRUE(sha);
  std::string raw = slurp(file_of(*sha));
  raw[raw.size() - 20] ^= 1;
  fs::permissions(file_of(*sha), fs::perms::owner_read | fs::perms::owner_write);
  spit(file_of(*sha), raw);
  EXPECT_FALSE(store->read(*sha));
}

TEST_F(EvidenceStoreTest, OpenWithoutOwnCertificateIsRefused) {
  auto r = EvidenceStore::open(dir.path, {}, {own.identity()});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("certificate"), std::string::npos) << r.error().text;
}

TEST_F(EvidenceStoreTest, RecordNeedsAFileAndAGoodName) {
  auto e = entry(EvidenceKind::sent, "m1@a.example", now + 100);
  e.sha256 = "xyz";
  EXPECT_FALSE(store->record(e));
  e.sha256 = std::string(64, 'b');
  auto r = store->record(e);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("put()"), std::string::npos) << r.error().text;
  auto sha = store->put(plain);
  ASSERT_TRUE(sha);
  e.sha256 = *sha;
  e.message_id.clear();
  EXPECT_FALSE(store->record(e));
}

TEST_F(EvidenceStoreTest, EntriesForMessageIdWithOrWithoutBrackets) {
  ASSERT_TRUE(store->keep(plain, entry(EvidenceKind::sent, "<m1@a.example>", now + 100)));
  auto receipt = entry(EvidenceKind::receipt, "m1@a.example", now + 100);
  receipt.at = now + 5;
  receipt.address = "bob@b.example";
  receipt.content_identifier = "ci1";
  ASSERT_TRUE(store->keep("receipt octets", receipt));
  ASSERT_TRUE(store->keep("other", entry(EvidenceKind::sent, "m2@a.example", now + 100)));
  // Recording the same evidence again keeps one entry (the longer retention).
  ASSERT_TRUE(store->keep(plain, entry(EvidenceKind::sent, "m1@a.example", now + 900)));

  auto entries = store->entries_for("<m1@a.example>");
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].kind, EvidenceKind::sent);
  EXPECT_EQ((*entries)[0].message_id, "m1@a.example");
  EXPECT_EQ((*entries)[0].keep_until, now + 900);
  EXPECT_EQ((*entries)[1].kind, EvidenceKind::receipt);
  EXPECT_EQ((*entries)[1].address, "bob@b.example");
  EXPECT_EQ((*entries)[1].content_identifier, "ci1");
  EXPECT_EQ(*store->read((*entries)[1].sha256), "receipt octets");
  EXPECT_EQ(store->entries_for("m1@a.example")->size(), 2u);
  EXPECT_TRUE(store->entries_for("nothing@a.example")->empty());
}

TEST_F(EvidenceStoreTest, PurgeRemovesExpiredEntriesAndTheirFilesOnly) {
  const std::int64_t year = 365 * 86400;
  auto crl = entry(EvidenceKind::crl, "m1@a.example", now + year);
  auto crl_sha = store->keep("the CRL", crl);
  ASSERT_TRUE(crl_sha);
  ASSERT_TRUE(store->keep(plain, entry(EvidenceKind::sent, "m1@a.example", now + year)));
  // The same CRL file kept longer for a later message.
  ASSERT_TRUE(store->keep("the CRL", entry(EvidenceKind::crl, "m2@a.example", now + 3 * year)));
  ASSERT_TRUE(store->keep("m2 original", entry(EvidenceKind::sent, "m2@a.example", now + 3 * year)));
  ASSERT_EQ(count_files(store->folder()), 3u);

  auto early = store->purge(now + 10);
  ASSERT_TRUE(early);
  EXPECT_EQ(early->entries, 0u);
  EXPECT_EQ(early->files, 0u);

  auto report = store->purge(now + 2 * year);
  ASSERT_TRUE(report) << report.error().text;
  EXPECT_EQ(report->entries, 2u);
  EXPECT_EQ(report->files, 1u);  // m1's original; the CRL is still m2's
  EXPECT_GT(report->octets, 0u);
  EXPECT_TRUE(store->entries_for("m1@a.example")->empty());
  EXPECT_EQ(store->entries_for("m2@a.example")->size(), 2u);
  EXPECT_TRUE(fs::exists(file_of(*crl_sha)));
  EXPECT_EQ(*store->read(*crl_sha), "the CRL");
  EXPECT_EQ(count_files(store->folder()), 2u);

  auto last = store->purge(now + 4 * year);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->entries, 2u);
  EXPECT_EQ(last->files, 2u);
  EXPECT_EQ(count_files(store->folder()), 0u);
}

TEST_F(EvidenceStoreTest, OrphanFilesAreSweptOnceADayOld) {
  auto orphan = store->put("written for a message whose commit failed");
  ASSERT_TRUE(orphan);
  spit(file_of(*orphan).parent_path() / ".leftover.cms.tmp-abc", "half");
  auto soon = store->purge(now + 3600);
  ASSERT_TRUE(soon);
  EXPECT_EQ(soon->files, 0u);
  EXPECT_TRUE(fs::exists(file_of(*orphan)));
  auto later = store->purge(now + 2 * 86400);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->entries, 0u);
  EXPECT_EQ(later->files, 2u);
  EXPECT_FALSE(fs::exists(file_of(*orphan)));
}

TEST_F(EvidenceStoreTest, PutAgainKeepsAnOldOrphanFromThePurge) {
  auto sha = store->put(plain);
  ASSERT_TRUE(sha);
  // Make the file look three days old, as if a commit had failed then.
  struct timespec old[2] = {{now - 3 * 86400, 0}, {now - 3 * 86400, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, file_of(*sha).c_str(), old, 0), 0);
  ASSERT_TRUE(store->put(plain));  // the same evidence again, about to be recorded
  auto report = store->purge(now + 3600);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->files, 0u);
  EXPECT_TRUE(fs::exists(file_of(*sha)));
}

TEST(EvidenceKindNames, AreStable) {
  EXPECT_EQ(to_string(EvidenceKind::sent), "sent");
  EXPECT_EQ(to_string(EvidenceKind::received), "received");
  EXPECT_EQ(to_string(EvidenceKind::receipt), "receipt");
  EXPECT_EQ(to_string(EvidenceKind::crl), "crl");
  EXPECT_EQ(to_string(EvidenceKind::authority), "authority");
}

}  // namespace
}  // namespace sm::evidence
