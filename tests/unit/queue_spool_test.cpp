// queue_spool_test.cpp - envelope format, durable group commit, the index
// operations (state, hold, release, remove) and opening, on a real
// directory with real fdatasync.
#include "queue/retry.h"
#include "queue/spool.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include "temp_dir.h"

using namespace sm;
using namespace sm::queue;
namespace fs = std::filesystem;

namespace {

using test_support::TempDir;

mail::Envelope sample_envelope() {
  mail::Envelope env;
  env.sender = "alice@a.example";
  env.arrival = 1700000000;
  env.ret = mail::Ret::hdrs;
  env.envid = "env id+1";
  env.listener = "relay";
  env.client_address = "127.0.0.1";
  env.helo = "client.example";
  mail::Recipient r1;
  r1.address = "bob@b.example";
  r1.notify = mail::kNotifyFailure | mail::kNotifySuccess;
  r1.orcpt = "rfc822;bob@b.example";
  mail::Recipient r2;
  r2.address = "\"odd user\"@c.example";
  env.recipients = {r1, r2};
  return env;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST(QueueFile, EnvelopeRoundTrips) {
  auto env = sample_envelope();
  env.id = new_queue_id();
  std::string text = format_envelope(env) + "Subject: x\r\n\r\nbody\r\n";
  std::uint64_t off = 0;
  auto parsed = parse_envelope(text, off);
  ASSERT_TRUE(parsed) << parsed.error().text;
  EXPECT_EQ(text.substr(off), "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(parsed->sender, env.sender);
  EXPECT_EQ(parsed->envid, env.envid);
  EXPECT_EQ(parsed->ret, mail::Ret::hdrs);
  ASSERT_EQ(parsed->recipients.size(), 2u);
  EXPECT_EQ(parsed->recipients[1].address, "\"odd user\"@c.example");
  EXPECT_EQ(parsed->recipients[0].orcpt, "rfc822;bob@b.example");
  EXPECT_EQ(parsed->recipients[0].notify, env.recipients[0].notify);
}

TEST(QueueFile, RejectsGarbageAndTruncation) {
  std::uint64_t off;
  EXPECT_FALSE(parse_envelope("hello\n\nbody", off));
  EXPECT_FALSE(parse_envelope("securemail-queue 1\nid X\n", off));  // no end of envelope
  EXPECT_FALSE(parse_envelope("securemail-queue 1\nid ABC\n\n", off));  // no recipients
  EXPECT_FALSE(parse_envelope("securemail-queue 1\nid ABC\nrcpt x - a\n\n", off));
}

TEST(QueueFile, TornStateIsIgnored) {
  auto env = sample_envelope();
  DeliveryState st{3, 10, 20, true};
  env.recipients[0].state = mail::RecipientState::delivered;
  env.recipients[0].last_reply = "250 2.0.0 ok";
  std::string text = format_state(env, st);
  auto fresh = sample_envelope();
  DeliveryState out;
  ASSERT_TRUE(parse_state(text, fresh, out));
  EXPECT_EQ(out.attempts, 3);
  EXPECT_EQ(out.next_attempt, 20);
  EXPECT_EQ(fresh.recipients[0].state, mail::RecipientState::delivered);
  EXPECT_EQ(fresh.recipients[0].last_reply, "250 2.0.0 ok");
  auto again = sample_envelope();
  EXPECT_FALSE(parse_state(text.substr(0, text.size() - 3), again, out));
}

TEST(Spool, CommitMakesMessageLoadable) {
  TempDir d;
  auto spool = Spool::open(d.path);
  ASSERT_TRUE(spool);
  auto w = (*spool)->create(sample_envelope());
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("Subject: hi\r\n\r\n"));
  ASSERT_TRUE((*w)->write("hello\r\n"));
  std::string id = (*w)->id();
  EXPECT_TRUE((*spool)->active_ids().empty()) << "not visible before commit";
  auto r = (*spool)->commit(std::move(*w));
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(*r, id);
  EXPECT_EQ((*spool)->active_ids(), std::vector<std::string>{id});
  auto m = (*spool)->load(id);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->envelope.size, 22u);
  EXPECT_EQ(slurp(m->path).substr(m->body_offset, m->envelope.size), "Subject: hi\r\n\r\nhello\r\n");
  ASSERT_TRUE(m->octets) << "a message received in memory is delivered from memory";
  EXPECT_EQ(*m->octets, "Subject: hi\r\n\r\nhello\r\n");
  EXPECT_EQ(fs::status(m->path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  // After an attempt the octets come from the segment.
  ASSERT_TRUE((*spool)->save_state(*m));
  EXPECT_FALSE((*spool)->load(id)->octets);
}

TEST(Spool, LargeMessageSpillsAndReadsBack) {
  TempDir d;
  auto spool = Spool::open(d.path);
  ASSERT_TRUE(spool);
  auto w = (*spool)->create(sample_envelope());
  std::string big;
  for (int i = 0; big.size() < kSpillThreshold + 100000; ++i) big += "line " + std::to_string(i) + "\r\n";
  for (std::size_t at = 0; at < big.size(); at += 65536) ASSERT_TRUE((*w)->write(std::string_view(big).substr(at, 65536)));
  auto back = (*w)->read_message();
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, big);
  EXPECT_TRUE(fs::is_empty(d.path / "tmp")) << "the spill file has no name";
  auto id = (*spool)->commit(std::move(*w));
  ASSERT_TRUE(id) << id.error().text;
  auto m = (*spool)->load(*id);
  EXPECT_FALSE(m->octets);
  EXPECT_EQ(slurp(m->path).substr(m->body_offset, m->envelope.size), big);
}

TEST(Spool, FsyncModeAndConcurrentGroupCommit) {
  TempDir d;
  auto spool = Spool::open(d.path, SyncMode::fsync);
  ASSERT_TRUE(spool);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto w = (*spool)->create(sample_envelope());
        if (!w || !(*w)->write("x\r\n")) continue;
        if ((*spool)->commit(std::move(*w))) ++ok;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 80);
  EXPECT_EQ((*spool)->active_ids().size(), 80u);
}

TEST(Spool, AbandonedWriterLeavesNothing) {
  TempDir d;
  auto spool = Spool::open(d.path);
  {
    auto w = (*spool)->create(sample_envelope());
    ASSERT_TRUE((*w)->write("partial"));
  }
  EXPECT_TRUE(fs::is_empty(d.path / "tmp"));
  EXPECT_TRUE((*spool)->active_ids().empty());
}

TEST(Spool, RecoverRemovesTemporaryLeftovers) {
  TempDir d;
  auto spool = Spool::open(d.path);
  std::ofstream(d.path / "tmp" / "spill.abc123") << "half a message";
  EXPECT_EQ((*spool)->recover(), 1u);
  EXPECT_TRUE(fs::is_empty(d.path / "tmp"));
}

TEST(Spool, HoldReleaseDeleteAndState) {
  TempDir d;
  auto spool = Spool::open(d.path);
  auto w = (*spool)->create(sample_envelope());
  (*w)->write("x\r\n");
  std::string id = *(*spool)->commit(std::move(*w));
  ASSERT_TRUE((*spool)->hold(id));
  EXPECT_TRUE((*spool)->active_ids().empty());
  EXPECT_EQ((*spool)->held_ids().size(), 1u);
  auto m = (*spool)->load(id);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->held);
  EXPECT_FALSE((*spool)->hold(id)) << "already held";
  ASSERT_TRUE((*spool)->release(id));
  m = (*spool)->load(id);
  m->state.attempts = 2;
  m->envelope.recipients[1].state = mail::RecipientState::failed;
  m->envelope.recipients[1].last_reply = "550 5.1.1 no such user";
  ASSERT_TRUE((*spool)->save_state(*m));
  auto again = (*spool)->load(id);
  EXPECT_EQ(again->state.attempts, 2);
  EXPECT_EQ(again->envelope.recipients[1].last_reply, "550 5.1.1 no such user");
  ASSERT_TRUE((*spool)->hold(id));
  // Everything survives a restart: the records are in the log.
  spool->reset();
  spool = Spool::open(d.path);
  ASSERT_TRUE(spool);
  again = (*spool)->load(id);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->held);
  EXPECT_EQ(again->state.attempts, 2);
  EXPECT_EQ(again->envelope.recipients[1].state, mail::RecipientState::failed);
  EXPECT_EQ(again->envelope.recipients[1].last_reply, "550 5.1.1 no such user");
  EXPECT_EQ(slurp(again->path).substr(again->body_offset, again->envelope.size), "x\r\n");
  ASSERT_TRUE((*spool)->remove(id));
  EXPECT_FALSE((*spool)->load(id));
  EXPECT_FALSE((*spool)->remove(id));
  EXPECT_FALSE((*spool)->load("../../etc/passwd")) << "ids are validated before building paths";
  ASSERT_TRUE((*spool)->sync());
  spool->reset();
  spool = Spool::open(d.path);
  EXPECT_FALSE((*spool)->load(id)) << "done is durable";
}

// Beside a running gateway the command reads the log and changes nothing.
TEST(Spool, ReadOnlyOpenSeesCommittedAndRefusesChanges) {
  TempDir d;
  auto spool = Spool::open(d.path);
  auto w = (*spool)->create(sample_envelope());
  (*w)->write("x\r\n");
  std::string id = *(*spool)->commit(std::move(*w));
  auto reader = Spool::open_existing(d.path);
  ASSERT_TRUE(reader) << reader.error().text;
  EXPECT_EQ((*reader)->active_ids(), std::vector<std::string>{id});
  EXPECT_FALSE((*reader)->hold(id));
  EXPECT_FALSE((*reader)->remove(id));
  EXPECT_FALSE((*reader)->create(sample_envelope()));
  ASSERT_TRUE((*spool)->hold(id));
  ASSERT_TRUE((*spool)->sync());
  auto again = Spool::open_existing(d.path);
  EXPECT_EQ((*again)->held_ids(), std::vector<std::string>{id});
  // A done record is written at once, before the (lazy) sync that makes it
  // durable: `queue list` beside the gateway does not show delivered mail.
  ASSERT_TRUE((*spool)->remove(id));
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    gone = (*Spool::open_existing(d.path))->held_ids().empty();
  }
  EXPECT_TRUE(gone) << "within half a second, well before kLazySync";
}

TEST(Spool, DiskFullAnswers452AndKeepsNothing) {
  TempDir d;
  auto spool = Spool::open(d.path);
  auto first = (*spool)->create(sample_envelope());
  (*first)->write("small\r\n");
  auto kept = (*spool)->commit(std::move(*first));
  ASSERT_TRUE(kept);
  auto w = (*spool)->create(sample_envelope());
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write(std::string(8192, 'x')));  // in memory until the commit
  // RLIMIT_FSIZE makes the segment write fail with EFBIG (SIGXFSZ
  // ignored): the storage-full path, answered 452 4.3.1.
  signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit small{4096, old.rlim_max};
  setrlimit(RLIMIT_FSIZE, &small);
  auto c = (*spool)->commit(std::move(*w));
  setrlimit(RLIMIT_FSIZE, &old);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, 452) << c.error().reply();
  EXPECT_EQ((*spool)->active_ids(), std::vector<std::string>{*kept});
  // The refused record left nothing behind: the next commit and a reopen
  // read a clean log.
  auto next = (*spool)->create(sample_envelope());
  (*next)->write("after\r\n");
  ASSERT_TRUE((*spool)->commit(std::move(*next)));
  spool->reset();
  spool = Spool::open(d.path);
  EXPECT_EQ((*spool)->active_ids().size(), 2u);
  EXPECT_EQ((*spool)->recovery().torn_octets, 0u);
  EXPECT_EQ((*spool)->recovery().damaged_ranges, 0u);
}

// `securemail queue` opens with open_existing(): where there is no queue it
// says so and creates nothing.
TEST(Spool, OpenExistingCreatesNothing) {
  TempDir d;
  auto none = Spool::open_existing(d.path / "queue");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().text.find((d.path / "queue").string()), std::string::npos) << none.error().text;
  EXPECT_TRUE(fs::is_empty(d.path));
  fs::create_directory(d.path / "queue");
  auto partial = Spool::open_existing(d.path / "queue");
  ASSERT_FALSE(partial);
  EXPECT_NE(partial.error().text.find("not a queue"), std::string::npos) << partial.error().text;
  EXPECT_TRUE(fs::is_empty(d.path / "queue"));
  ASSERT_TRUE(Spool::open(d.path / "queue"));
  EXPECT_TRUE(Spool::open_existing(d.path / "queue"));
}

TEST(Spool, QueueUnderAFileIsNamed) {
  TempDir d;
  std::ofstream(d.path / "file") << "x";
  auto s = Spool::open(d.path / "file" / "queue");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().text.find((d.path / "file").string()), std::string::npos) << s.error().text;
  auto e = Spool::open_existing(d.path / "file" / "queue");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().text.find("a parent folder is a file"), std::string::npos) << e.error().text;
}

TEST(Retry, ExponentialBackoffCapped) {
  RetryPolicy p{std::chrono::seconds(60), std::chrono::seconds(600), std::chrono::seconds(3600)};
  EXPECT_EQ(p.next_attempt(1000, 1), 1060);
  EXPECT_EQ(p.next_attempt(1000, 2), 1120);
  EXPECT_EQ(p.next_attempt(1000, 4), 1480);
  EXPECT_EQ(p.next_attempt(1000, 30), 1600);
  EXPECT_FALSE(p.expired(1000, 4599));
  EXPECT_TRUE(p.expired(1000, 4600));
}

TEST(QueueId, UniqueAndValid) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(new_queue_id());
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_TRUE(valid_queue_id(*ids.begin()));
  EXPECT_FALSE(valid_queue_id("0000000000000g00"));
}

// Copies of one message (sealed for a member, plain for the rest) are
// created with the same id before either is committed: each gets its own.
TEST(Spool, CopiesStartedWithOneIdGetTheirOwn) {
  TempDir d;
  auto spool = Spool::open(d.path);
  auto env = sample_envelope();
  env.id = new_queue_id();
  auto a = (*spool)->create(env);
  auto b = (*spool)->create(env);
  ASSERT_TRUE(a && b);
  EXPECT_EQ((*a)->id(), env.id);
  EXPECT_NE((*b)->id(), env.id);
  (*a)->write("a\r\n");
  (*b)->write("b\r\n");
  ASSERT_TRUE((*spool)->commit(std::move(*a)));
  ASSERT_TRUE((*spool)->commit(std::move(*b)));
  EXPECT_EQ((*spool)->active_ids().size(), 2u);
}
