// queue_segment_test.cpp - the segment log on real files: record format,
// recovery from a write torn at every offset of the last record, a damaged
// record in the middle set aside, dead segments deleted, sparse ones
// compacted, and an old file-per-message spool converted.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "queue/segment_log.h"
#include "queue/spool.h"
#include "temp_dir.h"

using namespace sm;
using namespace sm::queue;
namespace fs = std::filesystem;
using test_support::TempDir;

namespace {

mail::Envelope envelope_to(const std::string& rcpt) {
  mail::Envelope env;
  env.sender = "alice@a.example";
  env.arrival = 1700000000;
  mail::Recipient r;
  r.address = rcpt;
  env.recipients = {r};
  return env;
}

std::string commit_message(Spool& spool, const std::string& body) {
  auto w = spool.create(envelope_to("bob@b.example"));
  EXPECT_TRUE(w);
  EXPECT_TRUE((*w)->write(body));
  auto id = spool.commit(std::move(*w));
  EXPECT_TRUE(id) << id.error().text;
  return id ? *id : std::string();
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string body_of(const QueuedMessage& m) { return slurp(m.path).substr(m.body_offset, m.envelope.size); }

std::vector<fs::path> segment_files(const fs::path& root) {
  std::vector<fs::path> out;
  for (auto n : SegmentLog::list(root / "segments")) out.push_back(SegmentLog::segment_path(root / "segments", n));
  return out;
}

}  // namespace

TEST(SegmentRecord, HeaderRoundTripsAndCrcCatchesAnyFlip) {
  std::string rec = encode_record(RecordType::state, 0, "0123456789ABCDEF", "attempts 1\nend\n");
  ASSERT_EQ(rec.size(), kRecordHeaderSize + 15);
  auto h = decode_header(rec);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, RecordType::state);
  EXPECT_EQ(h->id, "0123456789ABCDEF");
  EXPECT_EQ(h->length, 15u);
  EXPECT_TRUE(record_intact(*h, rec, std::string_view(rec).substr(kRecordHeaderSize)));
  for (std::size_t i = 0; i < rec.size(); ++i) {
    std::string bad = rec;
    bad[i] ^= 0x20;
    auto bh = decode_header(bad);
    EXPECT_TRUE(!bh || !record_intact(*bh, bad, std::string_view(bad).substr(kRecordHeaderSize, bh->length)))
        << "flip at " << i << " went unnoticed";
  }
  EXPECT_FALSE(decode_header(encode_record(RecordType::done, 0, "not-an-id-000000", "")));
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u) << "CRC-32C check value";
}

// Three messages are acknowledged, then a fourth record is being written
// when the machine stops: cut the segment at every offset of that record.
// The three are never lost; the fourth exists only when complete; the log
// takes new mail after the cut.
TEST(SegmentRecovery, TornLastRecordAtEveryOffsetLosesNothingAcknowledged) {
  TempDir src;
  std::vector<std::string> acked;
  std::uint64_t before = 0, after = 0;
  std::string last;
  {
    auto spool = Spool::open(src.path);
    ASSERT_TRUE(spool);
    for (int i = 0; i < 3; ++i) acked.push_back(commit_message(**spool, "Subject: " + std::to_string(i) + "\r\n\r\nbody\r\n"));
    before = fs::file_size(segment_files(src.path).back());
    last = commit_message(**spool, "Subject: last\r\n\r\nthe torn one\r\n");
    after = fs::file_size(segment_files(src.path).back());
  }
  ASSERT_EQ(segment_files(src.path).size(), 1u);
  std::string full = slurp(segment_files(src.path).back());
  ASSERT_GT(after, before + kRecordHeaderSize);
  for (std::uint64_t cut = before; cut <= after; ++cut) {
    TempDir d;
    fs::create_directories(d.path / "segments");
    fs::path seg = d.path / "segments" / segment_files(src.path).back().filename();
    std::ofstream(seg, std::ios::binary) << full.substr(0, cut);
    auto spool = Spool::open(d.path);
    ASSERT_TRUE(spool) << "cut at " << cut << ": " << spool.error().text;
    for (std::size_t i = 0; i < acked.size(); ++i) {
      auto m = (*spool)->load(acked[i]);
      ASSERT_TRUE(m) << "acknowledged message lost with a cut at " << cut;
      EXPECT_EQ(body_of(*m), "Subject: " + std::to_string(i) + "\r\n\r\nbody\r\n");
    }
    EXPECT_EQ((*spool)->load(last).has_value(), cut == after) << "cut at " << cut;
    EXPECT_EQ((*spool)->recovery().torn_octets, cut == after ? 0 : cut - before) << "cut at " << cut;
    EXPECT_EQ((*spool)->recovery().damaged_ranges, 0u);
    EXPECT_EQ(fs::file_size(seg), cut == after ? after : before) << "the torn end is cut off";
    if (cut % 37 == 0 || cut == after - 1) {
      std::string id = commit_message(**spool, "Subject: new\r\n\r\nx\r\n");
      spool->reset();
      spool = Spool::open(d.path);
      ASSERT_TRUE((*spool)->load(id)) << "new mail after the cut at " << cut;
      EXPECT_EQ((*spool)->active_ids().size(), acked.size() + 1 + (cut == after ? 1 : 0));
    }
  }
}

// A record in the middle that does not check out (a flipped bit on disk):
// its bytes are copied to corrupt/, the records after it are read.
TEST(SegmentRecovery, DamagedMiddleRecordIsSetAsideAndTheRestRead) {
  TempDir d;
  std::vector<std::string> ids;
  std::uint64_t second_at = 0;
  {
    auto spool = Spool::open(d.path);
    ids.push_back(commit_message(**spool, "first\r\n"));
    second_at = fs::file_size(segment_files(d.path).back());
    ids.push_back(commit_message(**spool, "second\r\n"));
    ids.push_back(commit_message(**spool, "third\r\n"));
  }
  fs::path seg = segment_files(d.path).back();
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(second_at + kRecordHeaderSize + 5));
    f.put('#');
  }
  auto spool = Spool::open(d.path);
  ASSERT_TRUE(spool);
  EXPECT_EQ((*spool)->recovery().damaged_ranges, 1u);
  EXPECT_TRUE((*spool)->load(ids[0]));
  EXPECT_FALSE((*spool)->load(ids[1]));
  ASSERT_TRUE((*spool)->load(ids[2]));
  EXPECT_EQ(body_of(*(*spool)->load(ids[2])), "third\r\n");
  std::vector<fs::path> kept;
  for (const auto& e : fs::directory_iterator(d.path / "corrupt")) kept.push_back(e.path());
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_NE(slurp(kept[0]).find("second"), std::string::npos) << "the damaged bytes are kept";
  EXPECT_TRUE(fs::exists(seg)) << "a segment with damage is never cut in the middle";
}

TEST(SegmentLifecycle, SegmentOfDoneMessagesIsDeleted) {
  TempDir d;
  {
    auto spool = Spool::open(d.path);
    auto a = commit_message(**spool, "a\r\n");
    auto b = commit_message(**spool, "b\r\n");
    ASSERT_TRUE((*spool)->remove(a));
    ASSERT_TRUE((*spool)->remove(b));
    ASSERT_TRUE((*spool)->sync());
  }
  ASSERT_EQ(segment_files(d.path).size(), 1u) << "the head is still open";
  auto spool = Spool::open(d.path);
  EXPECT_TRUE(segment_files(d.path).empty()) << "nothing live: deleted at open";
  EXPECT_TRUE((*spool)->active_ids().empty());
}

// One live message left in a closed segment of eight: it is copied to the
// head with its state, the old segment goes, and the copy reads the same.
TEST(SegmentLifecycle, SparseSegmentIsCompacted) {
  TempDir d;
  std::string keep;
  {
    auto spool = Spool::open(d.path);
    for (int i = 0; i < 8; ++i) {
      auto id = commit_message(**spool, "message " + std::to_string(i) + "\r\n");
      if (i == 5) keep = id;
      else ASSERT_TRUE((*spool)->remove(id));
    }
    auto m = (*spool)->load(keep);
    m->state.attempts = 3;
    m->envelope.recipients[0].last_reply = "451 4.4.1 try later";
    ASSERT_TRUE((*spool)->save_state(*m));
    ASSERT_TRUE((*spool)->hold(keep));
    ASSERT_TRUE((*spool)->sync());
  }
  fs::path old = segment_files(d.path).front();
  auto spool = Spool::open(d.path);
  auto loaded = (*spool)->load(keep);  // a delivery starting before the compaction
  ASSERT_TRUE(loaded && loaded->segment);
  ASSERT_TRUE((*spool)->sync());  // a batch: compaction planned
  ASSERT_TRUE((*spool)->sync());  // copies written, old segment deleted
  ASSERT_TRUE((*spool)->sync());
  EXPECT_FALSE(fs::exists(old));
  // The delivery that loaded it before still reads it through its descriptor.
  std::string octets(loaded->envelope.size, '\0');
  ASSERT_EQ(::pread(*loaded->segment, octets.data(), octets.size(), static_cast<off_t>(loaded->body_offset)),
            static_cast<ssize_t>(octets.size()));
  EXPECT_EQ(octets, "message 5\r\n");
  auto check = [&](Spool& s) {
    auto m = s.load(keep);
    ASSERT_TRUE(m);
    EXPECT_EQ(body_of(*m), "message 5\r\n");
    EXPECT_EQ(m->state.attempts, 3);
    EXPECT_EQ(m->envelope.recipients[0].last_reply, "451 4.4.1 try later");
    EXPECT_TRUE(m->held);
  };
  check(**spool);
  spool->reset();
  spool = Spool::open(d.path);
  check(**spool);
  EXPECT_EQ((*spool)->held_ids().size(), 1u);
  EXPECT_TRUE((*spool)->active_ids().empty());
}

// A spool of the old layout, as queue_file.cpp wrote it: active/ID (envelope
// block and message), hold/ID, a state/ID sidecar, a tmp/ leftover.
TEST(LegacySpool, OldLayoutIsConvertedOnceAndRerunSafely) {
  TempDir d;
  for (const char* sub : {"tmp", "active", "hold", "state", "corrupt"}) fs::create_directories(d.path / sub);
  auto old_file = [&](const char* sub, const std::string& id, const std::string& rcpt, const std::string& body) {
    auto env = envelope_to(rcpt);
    env.id = id;
    std::ofstream(d.path / sub / id, std::ios::binary) << format_envelope(env) << body;
    return env;
  };
  auto env = old_file("active", "00000000000A0001", "bob@b.example", "Subject: old\r\n\r\nactive\r\n");
  old_file("hold", "00000000000A0002", "carol@b.example", "Subject: old\r\n\r\nheld\r\n");
  env.recipients[0].state = mail::RecipientState::delivered;  // hypothetically delivered already
  env.recipients[0].last_reply = "250 ok";
  std::ofstream(d.path / "state" / "00000000000A0001") << format_state(env, DeliveryState{2, 10, 20, false});
  std::ofstream(d.path / "tmp" / "00000000000A0003") << "securemail-queue 1\nid 00000000000A0003\n";
  std::string saved_active = slurp(d.path / "active" / "00000000000A0001");
  {
    auto spool = Spool::open(d.path);
    ASSERT_TRUE(spool) << spool.error().text;
    EXPECT_EQ((*spool)->recovery().converted, 2u);
    auto a = (*spool)->load("00000000000A0001");
    ASSERT_TRUE(a);
    EXPECT_EQ(body_of(*a), "Subject: old\r\n\r\nactive\r\n");
    EXPECT_EQ(a->state.attempts, 2);
    EXPECT_EQ(a->envelope.recipients[0].state, mail::RecipientState::delivered);
    auto h = (*spool)->load("00000000000A0002");
    ASSERT_TRUE(h);
    EXPECT_TRUE(h->held);
    EXPECT_FALSE((*spool)->load("00000000000A0003")) << "never acknowledged";
  }
  for (const char* sub : {"active", "hold", "state"}) EXPECT_FALSE(fs::exists(d.path / sub)) << sub;
  EXPECT_TRUE(fs::is_empty(d.path / "tmp"));
  // Interrupted after the append, before the removal: the old file is back.
  fs::create_directories(d.path / "active");
  std::ofstream(d.path / "active" / "00000000000A0001", std::ios::binary) << saved_active;
  auto spool = Spool::open(d.path);
  ASSERT_TRUE(spool);
  EXPECT_EQ((*spool)->recovery().converted, 0u) << "already in the log: skipped";
  EXPECT_EQ((*spool)->active_ids(), std::vector<std::string>{"00000000000A0001"});
  EXPECT_EQ((*spool)->load("00000000000A0001")->state.attempts, 2);
  EXPECT_FALSE(fs::exists(d.path / "active"));
}

TEST(LegacySpool, UnreadableOldFileIsMovedToCorrupt) {
  TempDir d;
  for (const char* sub : {"tmp", "active", "hold", "state", "corrupt"}) fs::create_directories(d.path / sub);
  std::ofstream(d.path / "active" / "00000000000B0001") << "garbage without an envelope";
  auto spool = Spool::open(d.path);
  ASSERT_TRUE(spool);
  EXPECT_TRUE((*spool)->active_ids().empty());
  EXPECT_TRUE(fs::exists(d.path / "corrupt" / "00000000000B0001"));
}
