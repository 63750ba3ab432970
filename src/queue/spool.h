// spool.h - the durable message queue on disk.
//
// Layout under the spool root (like Postfix's queue directories):
//   tmp/ID     being received; never delivered; removed at start-up
//   active/ID  committed: eligible for delivery
//   hold/ID    committed but held by the operator
//   state/ID   delivery-progress sidecar (see queue_file.h)
//   corrupt/ID unreadable queue files moved aside, never deleted silently
//
// The one promise: commit() returns success only after the message file
// and the directory entry that names it are on stable storage. Commits of
// concurrent messages are batched (group commit): one committer thread
// syncs every file written so far, renames them all into active/, syncs
// the directory once, then reports each message as committed. Nothing is
// reported early.
//
// Every operation works both inside the running daemon and from the
// `securemail queue` command on a stopped or running gateway: moves are
// renames, so the daemon notices a held or deleted message when it next
// opens the file.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mail/envelope.h"
#include "queue/queue_file.h"
#include "util/error.h"

namespace sm::queue {

enum class SyncMode {
  syncfs,  // one syncfs(2) for a whole batch of files, then one directory fsync
  fsync,   // fdatasync(2) each file of the batch, then one directory fsync
};

// A message loaded from the queue.
struct QueuedMessage {
  mail::Envelope envelope;  // recipients carry their delivery state
  DeliveryState state;
  std::filesystem::path path;  // the queue file
  std::uint64_t body_offset = 0;
  bool held = false;
};

class Spool;

// One message being written into tmp/. Destroying it without a commit
// removes the file.
class SpoolWriter {
 public:
  ~SpoolWriter();
  SpoolWriter(const SpoolWriter&) = delete;
  SpoolWriter& operator=(const SpoolWriter&) = delete;

  // Append message octets. Disk full gives 452 4.3.1; other I/O errors
  // 451 4.3.0; after an error every later write fails the same way.
  Result<void> write(std::string_view octets);
  const std::string& id() const { return id_; }
  std::uint64_t size() const { return size_; }
  // The file being written and where the message starts in it: the
  // gateway reads a received message back (to seal or open it) before
  // deciding what to commit.
  const std::filesystem::path& path() const { return tmp_path_; }
  std::uint64_t message_offset() const { return offset_; }
  // Commit into hold/ instead of active/ (quarantine): durable, listed by
  // `securemail queue`, delivered only after `queue release`.
  void hold_on_commit();
  bool held() const { return held_; }

 private:
  friend class Spool;
  SpoolWriter(std::string id, int fd, std::filesystem::path tmp_path, std::filesystem::path final_path);
  void discard();

  std::string id_;
  int fd_ = -1;
  std::filesystem::path tmp_path_, final_path_;
  std::uint64_t size_ = 0;
  std::uint64_t offset_ = 0;
  bool held_ = false;
  std::optional<Error> error_;
  bool committed_ = false;
};

class Spool {
 public:
  using CommitDone = std::function<void(Result<std::string>)>;

  // Opens (creating if needed) the spool at root and starts the committer.
  // A folder the process cannot write (read-only file system, permission)
  // is an error naming that folder and the reason, before any mail is taken.
  static Result<std::unique_ptr<Spool>> open(const std::filesystem::path& root,
                                             SyncMode mode = SyncMode::syncfs);
  // Opens an existing spool and creates nothing: for the `securemail queue`
  // commands, which must not leave an empty queue behind where there was
  // none. A missing or unreadable folder is an error naming it.
  static Result<std::unique_ptr<Spool>> open_existing(const std::filesystem::path& root);
  ~Spool();

  // Start a new message: writes the envelope block. The queue id is
  // env.id when that is a valid id not used yet (one new_queue_id() gave
  // the caller), else a new one.
  Result<std::unique_ptr<SpoolWriter>> create(mail::Envelope env);

  // Group commit. `done` runs on the committer thread with the queue id or
  // the error (the file is then gone). The caller posts back to its own
  // executor.
  void commit_async(std::unique_ptr<SpoolWriter> writer, CommitDone done);
  // Blocking convenience for commands and tests.
  Result<std::string> commit(std::unique_ptr<SpoolWriter> writer);

  // Ids of committed messages, oldest first.
  std::vector<std::string> active_ids() const;
  std::vector<std::string> held_ids() const;

  // Load a message by id (active or held), applying its state sidecar.
  Result<QueuedMessage> load(const std::string& id) const;
  // Replace the state sidecar atomically (rename; no fsync: at least once).
  Result<void> save_state(const QueuedMessage& msg);
  // Remove a message that is finished (all recipients delivered or failed)
  // or deleted by the operator.
  Result<void> remove(const std::string& id);
  Result<void> hold(const std::string& id);
  Result<void> release(const std::string& id);
  // Move an unreadable queue file aside to corrupt/.
  void quarantine(const std::string& id);

  // Start-up recovery: removes tmp/ leftovers (never acknowledged) and
  // sidecars without a queue file. Returns the number of tmp files removed.
  std::size_t recover();

  const std::filesystem::path& root() const { return root_; }

 private:
  struct Pending {
    std::unique_ptr<SpoolWriter> writer;
    CommitDone done;
  };
  Spool(std::filesystem::path root, SyncMode mode, int root_fd, int active_fd);
  void committer_loop();
  void commit_batch(std::vector<Pending>& batch);
  std::vector<std::string> list(const char* sub) const;
  std::filesystem::path state_path(const std::string& id) const;

  std::filesystem::path root_;
  SyncMode mode_;
  int root_fd_ = -1, active_fd_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> pending_;
  bool stopping_ = false;
  std::thread committer_;
};

// A new queue id: 16 upper-case hex digits, time-ordered, unique in-process.
std::string new_queue_id();

// Is this a syntactically valid queue id (guards paths built from user input)?
bool valid_queue_id(std::string_view id);

}  // namespace sm::queue
