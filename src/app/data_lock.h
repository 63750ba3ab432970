// data_lock.h - one gateway per data folder: `securemail run` holds an
// exclusive lock on DATA/securemail.lock for as long as it runs (like
// Postfix's master.lock), with its PID written in the file.
//
// A second `securemail run` on the same folder is refused with the PID of
// the holder. The lock is flock(2) on a descriptor of our own, so it goes
// away with the process however it ends (even SIGKILL): no stale lock to
// clean up after a crash. The `securemail queue` commands take it while
// they change a stopped gateway's queue; beside a running gateway they read
// its queue and send changes through its control socket.
#pragma once

#include <expected>
#include <filesystem>
#include <string>

namespace sm::app {

struct LockError {
  bool in_use = false;  // another process holds it (else: the file cannot be used)
  std::string text;     // names the folder, the file, and the holder's PID or the reason
};

class DataFolderLock {
 public:
  static std::filesystem::path file(const std::filesystem::path& data_dir) { return data_dir / "securemail.lock"; }

  // Take the lock without waiting. Errors: held by another process (with
  // its PID), or the file cannot be created (named, with the reason).
  static std::expected<DataFolderLock, LockError> acquire(const std::filesystem::path& data_dir);

  // After a reload's exec (gateway/reload.h): the descriptor the old image
  // kept open, still holding the lock. Error when it is not this folder's
  // lock file or the lock is not ours.
  static std::expected<DataFolderLock, LockError> adopt(int fd, const std::filesystem::path& data_dir);
  // The descriptor to keep open across the exec.
  int descriptor() const { return fd_; }

  DataFolderLock(DataFolderLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataFolderLock(const DataFolderLock&) = delete;
  DataFolderLock& operator=(const DataFolderLock&) = delete;
  DataFolderLock& operator=(DataFolderLock&&) = delete;
  ~DataFolderLock();  // closes the descriptor: the lock is released

 private:
  explicit DataFolderLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace sm::app
