// spool_open.cpp - opening the spool (see spool.h): the daemon's open,
// which creates what is missing and refuses a folder it cannot write, and
// the queue command's open_existing, which creates nothing.
//
// Both name the folder and the reason when it cannot be used, so an
// operator reads "DATA/queue/tmp: read-only file system", never a 451 at the
// first message or an empty queue made in the wrong place.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "queue/spool.h"

namespace fs = std::filesystem;

namespace sm::queue {

namespace {

constexpr const char* kSpoolFolders[] = {"tmp", "active", "hold", "state", "corrupt"};

// "FOLDER: reason" for a folder this process cannot use, or nullopt.
std::optional<std::string> unusable_folder(const fs::path& dir, int how) {
  if (::access(dir.c_str(), how) == 0) return std::nullopt;
  int e = errno;
  std::string why = e == EROFS    ? "read-only file system"
                    : e == EACCES ? "permission denied"
                    : e == ENOENT ? "does not exist"
                                  : std::strerror(e);
  return dir.string() + ": " + why;
}

// The spool root and active/, held open for directory fsyncs.
Result<std::pair<int, int>> open_folders(const fs::path& root) {
  auto open_dir = [](const fs::path& p) { return ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); };
  int rfd = open_dir(root), afd = open_dir(root / "active");
  if (rfd >= 0 && afd >= 0) return std::pair{rfd, afd};
  int e = errno;
  if (rfd >= 0) ::close(rfd);
  if (afd >= 0) ::close(afd);
  return local_error("cannot open queue folder " + root.string() + ": " + std::strerror(e));
}

}  // namespace

Result<std::unique_ptr<Spool>> Spool::open(const fs::path& root, SyncMode mode) {
  std::error_code ec;
  for (const char* sub : kSpoolFolders) {
    fs::create_directories(root / sub, ec);
    if (ec) return local_error("cannot create queue folder " + (root / sub).string() + ": " + ec.message());
  }
  ::chmod(root.c_str(), 0700);
  // Receiving writes tmp/ and renames into active/ and hold/; delivery
  // rewrites state/. Find out now, not at the first message.
  for (const char* sub : {"tmp", "active", "hold", "state"})
    if (auto bad = unusable_folder(root / sub, W_OK | X_OK))
      return local_error("queue folder not writable: " + *bad);
  auto fds = open_folders(root);
  if (!fds) return std::unexpected(fds.error());
  return std::unique_ptr<Spool>(new Spool(root, mode, fds->first, fds->second));
}

Result<std::unique_ptr<Spool>> Spool::open_existing(const fs::path& root) {
  struct stat st {};
  int rc = ::stat(root.c_str(), &st);
  if (rc != 0 || !S_ISDIR(st.st_mode)) {
    int e = errno;
    std::string why = rc == 0        ? "not a folder"
                      : e == ENOTDIR ? "a parent folder is a file"
                      : e == ENOENT  ? "no such folder"
                                     : std::strerror(e);
    return local_error("no queue in " + root.string() + ": " + why);
  }
  std::error_code ec;
  for (const char* sub : kSpoolFolders) {
    if (!fs::is_directory(root / sub, ec))
      return local_error(root.string() + " is not a queue: " + sub + "/ is missing");
    if (auto bad = unusable_folder(root / sub, R_OK | X_OK)) return local_error("cannot read the queue: " + *bad);
  }
  auto fds = open_folders(root);
  if (!fds) return std::unexpected(fds.error());
  return std::unique_ptr<Spool>(new Spool(root, SyncMode::fsync, fds->first, fds->second));
}

}  // namespace sm::queue
