// data_lock.cpp - the exclusive lock on a data folder (see data_lock.h).
//
// The PID is written only after the lock is ours, so a holder's PID is
// never overwritten by a process that then fails to get the lock. The file
// is never removed: removing it while another process waits on it would
// let two processes hold locks on two different files of the same name.
#include "app/data_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sm::app {

DataFolderLock::~DataFolderLock() {
  if (fd_ >= 0) ::close(fd_);
}

std::expected<DataFolderLock, LockError> DataFolderLock::acquire(const std::filesystem::path& data_dir) {
  auto failed = [](bool in_use, std::string text) { return std::unexpected(LockError{in_use, std::move(text)}); };
  std::filesystem::path path = file(data_dir);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return failed(false, "cannot create lock file " + path.string() + ": " + std::strerror(errno));
  DataFolderLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK) return failed(false, "cannot lock " + path.string() + ": " + std::strerror(err));
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return failed(true, "data folder " + data_dir.string() + " is in use: another securemail run " +
                       (pid.empty() ? "process" : "(PID " + pid + ")") + " holds " + path.string());
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    return failed(false, "cannot write PID into " + path.string() + ": " + std::strerror(errno));
  return lock;
}

std::expected<DataFolderLock, LockError> DataFolderLock::adopt(int fd, const std::filesystem::path& data_dir) {
  DataFolderLock lock(fd);
  std::filesystem::path path = file(data_dir);
  struct stat held {}, named {};
  if (::fstat(fd, &held) != 0 || ::stat(path.c_str(), &named) != 0 || held.st_dev != named.st_dev ||
      held.st_ino != named.st_ino)
    return std::unexpected(LockError{false, "the lock kept across the reload is not " + path.string()});
  // Our open file description holds the lock already: this succeeds at once.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
    return std::unexpected(LockError{true, "the lock kept across the reload is no longer held on " + path.string()});
  return lock;
}

}  // namespace sm::app
