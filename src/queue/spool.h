// spool.h - the durable message queue: a group-committed append-only log.
//
// Layout under the spool root:
//   segments/N.log  the log (segment_log.h, records in segment_record.h):
//                   messages, delivery state, hold, release and done records
//   tmp/            unnamed temporary files of large messages being received
//   corrupt/        unreadable ranges of segments copied aside, never deleted
//   active/ hold/ state/  a spool of the old file-per-message layout, if
//                   any: converted into segments at the first open
//                   (spool_legacy.cpp), then removed
//
// The one promise: commit() reports success only after the message record
// is on stable storage. Commits of concurrent messages are batched (group
// commit): one committer thread appends every record that arrived while
// the previous sync ran with one pwritev and one fdatasync, then reports
// each message as committed. Nothing is reported early.
//
// State, hold, release and done records are appended at once without a
// sync of their own: the next batch's sync covers them (or one kLazySync
// later when no mail arrives); losing one means a redelivery, the
// at-least-once promise the old state sidecar gave. sync() waits until
// every one queued so far is durable.
//
// Everything the daemon needs is in an in-memory index built at open by
// scanning the segments; only the daemon (or a command holding the data
// folder lock while the gateway is stopped) opens the spool for writing.
// `securemail queue` beside a running gateway opens it read-only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mail/envelope.h"
#include "queue/queue_file.h"
#include "queue/segment_log.h"
#include "queue/spool_index.h"
#include "util/error.h"

namespace sm::queue {

// [queue] sync: both now mean one fdatasync(2) of the segment per batch;
// syncfs is accepted for old configurations (the daemon warns once).
enum class SyncMode { syncfs, fsync };

// A message kept in memory while received up to this size; beyond it the
// rest goes to an unnamed temporary file until the commit.
inline constexpr std::size_t kSpillThreshold = 1u << 20;
// Messages just committed keep their octets in memory for delivery, up to
// this much in all.
inline constexpr std::size_t kMemoryCacheLimit = 64u << 20;
// State, hold, release and done records are written at once without a
// sync; when no mail comes to sync them, they are synced this much later.
inline constexpr std::chrono::milliseconds kLazySync{1000};

// A message loaded from the queue. Its octets are the envelope.size octets
// at body_offset in the segment file at path, or *octets when the message
// is still in memory from its receipt.
struct QueuedMessage {
  mail::Envelope envelope;  // recipients carry their delivery state
  DeliveryState state;
  std::filesystem::path path;  // the segment holding the message record
  std::uint64_t body_offset = 0;
  std::shared_ptr<const std::string> octets;
  // The segment opened at load: readable even after a compaction deletes it.
  std::shared_ptr<const int> segment;
  bool held = false;
};

class Spool;

// One message being received: in memory, spilled to an unnamed file when
// large. Destroying it without a commit leaves nothing behind.
class SpoolWriter {
 public:
  ~SpoolWriter();
  SpoolWriter(const SpoolWriter&) = delete;
  SpoolWriter& operator=(const SpoolWriter&) = delete;

  // Append message octets. Disk full gives 452 4.3.1; other I/O errors
  // 451 4.3.0; after an error every later write fails the same way.
  Result<void> write(std::string_view octets);
  const std::string& id() const { return envelope_.id; }
  std::uint64_t size() const { return size_; }
  // The octets written so far: the gateway reads a received message back
  // (to seal or open it) before deciding what to commit.
  Result<std::string> read_message() const;
  // Commit into hold (quarantine): durable, listed by `securemail queue`,
  // delivered only after `queue release`.
  void hold_on_commit() { held_ = true; }
  bool held() const { return held_; }

 private:
  friend class Spool;
  friend Result<std::size_t> convert_legacy_spool(Spool& spool);
  SpoolWriter(Spool* spool, mail::Envelope env, std::string head, std::filesystem::path spill_dir);
  Result<void> spill();

  Spool* spool_;  // its id is reserved there until this writer goes
  mail::Envelope envelope_;
  std::string head_;  // the envelope block
  std::string body_;  // in memory until spilled
  std::string initial_state_;  // a state record committed with the message (conversion)
  std::filesystem::path spill_dir_;
  int spill_fd_ = -1;
  std::uint64_t size_ = 0;
  std::uint32_t crc_ = 0;  // of head_ and the octets so far
  bool held_ = false;
  std::optional<Error> error_;
};

class Spool {
 public:
  using CommitDone = std::function<void(Result<std::string>)>;
  enum class Access { read_only, read_write };

  // Opens (creating if needed) the spool at root, recovers it (torn tail
  // truncated, damaged ranges copied to corrupt/, an old spool converted)
  // and starts the committer. A folder the process cannot write is an
  // error naming that folder and the reason, before any mail is taken.
  static Result<std::unique_ptr<Spool>> open(const std::filesystem::path& root, SyncMode mode = SyncMode::fsync);
  // Opens an existing spool and creates nothing: for the `securemail
  // queue` commands. read_only (a gateway is running): scans the segments,
  // tolerating a tail being written, and refuses every change. read_write
  // (the caller holds the data folder lock): like open(). A missing or
  // unreadable folder is an error naming it.
  static Result<std::unique_ptr<Spool>> open_existing(const std::filesystem::path& root,
                                                      Access access = Access::read_only);
  // Is there a queue at root? The error names the folder and why not;
  // nothing is created.
  static Result<void> check_existing(const std::filesystem::path& root);
  ~Spool();

  // Start a new message. The queue id is env.id when that is a valid id
  // not used yet, queued or being written (one new_queue_id() gave the
  // caller), else a new one.
  Result<std::unique_ptr<SpoolWriter>> create(mail::Envelope env);

  // Group commit. `done` runs on the committer thread with the queue id or
  // the error (nothing is then kept). The caller posts back to its own
  // executor.
  void commit_async(std::unique_ptr<SpoolWriter> writer, CommitDone done);
  // Blocking convenience for commands and tests.
  Result<std::string> commit(std::unique_ptr<SpoolWriter> writer);
  // Wait until every record queued so far is on stable storage.
  Result<void> sync();

  // Ids of committed messages, oldest first.
  std::vector<std::string> active_ids() const;
  std::vector<std::string> held_ids() const;

  // A message by id (active or held) with its latest delivery state.
  Result<QueuedMessage> load(const std::string& id) const;
  // Record new delivery state (no sync of its own: at least once).
  Result<void> save_state(const QueuedMessage& msg);
  // A message that is finished (all recipients delivered or failed) or
  // deleted by the operator.
  Result<void> remove(const std::string& id);
  Result<void> hold(const std::string& id);
  Result<void> release(const std::string& id);

  // What opening found: torn tails cut, damaged ranges set aside, messages
  // converted from the old layout, temporary files removed.
  struct Recovery {
    std::uint64_t torn_octets = 0;
    std::size_t damaged_ranges = 0;
    std::size_t converted = 0;
  };
  const Recovery& recovery() const { return recovery_; }
  // Removes tmp/ leftovers (never acknowledged); returns how many.
  std::size_t recover();

  const std::filesystem::path& root() const { return root_; }
  bool writable() const { return log_ != nullptr; }

 private:
  friend Result<std::size_t> convert_legacy_spool(Spool& spool);
  friend class SpoolWriter;
  struct Pending {
    std::unique_ptr<SpoolWriter> writer;  // null: a sync() barrier
    CommitDone done;
  };
  struct Control {
    RecordType type;
    std::string id;
    std::string payload;
  };
  struct Move {  // compaction: a live message copied to the head
    std::string id;
    Loc from;
    std::string payload;  // the message record's payload
  };
  Spool(std::filesystem::path root, std::unique_ptr<SegmentLog> log);
  Result<void> load_segments(bool repair);
  void start_committer();
  void committer_loop();
  bool commit_batch(std::vector<Pending>& batch, std::vector<Control>& controls, std::vector<Move>& moves,
                    bool durable);
  void collect_garbage();
  void plan_compaction();
  Result<void> queue_control(RecordType type, const std::string& id, std::string payload);
  // hold() and release(): the check, the index flag and its record.
  Result<void> set_held(const std::string& id, bool held);
  std::vector<std::string> ids(bool held) const;

  std::filesystem::path root_;
  std::unique_ptr<SegmentLog> log_;  // null: read-only
  Recovery recovery_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  SpoolIndex index_;
  std::vector<Pending> pending_;
  std::vector<Control> controls_;
  std::vector<Move> moves_;
  std::set<std::string> writing_;  // ids of writers not yet committed or gone
  std::size_t cached_bytes_ = 0;
  mutable std::map<std::uint64_t, std::shared_ptr<const int>> open_segments_;  // for load(); closed when deleted and unused
  bool stopping_ = false;
  std::thread committer_;
};

// Append the messages of an old file-per-message spool (active/, hold/,
// state/) to the log, synced, and only then remove their files; ids
// already in the log are skipped, so it is safe to interrupt and rerun.
// Returns how many messages were converted.
Result<std::size_t> convert_legacy_spool(Spool& spool);

// A new queue id: 16 upper-case hex digits, time-ordered, unique in-process.
std::string new_queue_id();

// Is this a syntactically valid queue id (guards paths built from user input)?
bool valid_queue_id(std::string_view id);

}  // namespace sm::queue
