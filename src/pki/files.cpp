// files.cpp - atomic, durable file writes and bounded reads for key,
// certificate, CRL and index files (see key.h).
//
// A file is never visible half-written, and a private key is never
// readable by anyone else even for an instant: the data goes to a temp file
// created O_EXCL with its final mode, is fsync'ed, then renamed (or, when
// overwriting is refused, hard-linked so an existing file is never
// replaced) into place, and the folder is fsync'ed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <cerrno>

#include "pki/detail.h"
#include "pki/key.h"

namespace sm::pki {

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  int get() const { return fd_; }
  int release() { int fd = fd_; fd_ = -1; return fd; }

 private:
  int fd_;
};

Result<> write_all(int fd, std::string_view data, const std::filesystem::path& file) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return local_error(detail::errno_text(file, "cannot write", errno));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::filesystem::path temp_name(const std::filesystem::path& file) {
  unsigned char r[6];
  RAND_bytes(r, sizeof r);
  return file.parent_path() / ("." + file.filename().string() + ".tmp-" + detail::hex(r, sizeof r));
}

// Put the finished temp file in place; the temp name is gone afterwards.
Result<> publish(const std::filesystem::path& tmp, const std::filesystem::path& file, bool overwrite) {
  if (overwrite) {
    if (::rename(tmp.c_str(), file.c_str()) == 0) return {};
    int err = errno;
    ::unlink(tmp.c_str());
    return local_error(detail::errno_text(file, "cannot rename into place", err));
  }
  int rc = ::link(tmp.c_str(), file.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc == 0) return {};
  if (err == EEXIST) return local_error(file.string() + ": already exists; refusing to overwrite it");
  return local_error(detail::errno_text(file, "cannot link into place", err));
}

}  // namespace

Result<> write_file_atomic(const std::filesystem::path& file, std::string_view data, unsigned mode,
                           bool overwrite) {
  if (!overwrite && ::access(file.c_str(), F_OK) == 0)
    return local_error(file.string() + ": already exists; refusing to overwrite it");
  std::filesystem::path tmp = temp_name(file);
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) return local_error(detail::errno_text(tmp, "cannot create", errno));
  // The umask may have narrowed the mode; never widens it past `mode`.
  Result<> ok = ::fchmod(fd.get(), mode) == 0
                    ? write_all(fd.get(), data, tmp)
                    : local_error(detail::errno_text(tmp, "cannot chmod", errno));
  if (ok && ::fsync(fd.get()) != 0) ok = local_error(detail::errno_text(tmp, "cannot fsync", errno));
  if (ok && ::close(fd.release()) != 0) ok = local_error(detail::errno_text(tmp, "cannot close", errno));
  if (!ok) {
    ::unlink(tmp.c_str());
    return ok;
  }
  if (auto placed = publish(tmp, file, overwrite); !placed) return placed;
  return detail::fsync_dir(file.parent_path());
}

Result<> sync_folder(const std::filesystem::path& dir) { return detail::fsync_dir(dir); }

Result<std::string> read_file(const std::filesystem::path& file, std::size_t max_size) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return local_error(detail::errno_text(file, "cannot open", errno));
  std::string out;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return local_error(detail::errno_text(file, "cannot read", errno));
    if (n == 0) return out;
    if (out.size() + static_cast<std::size_t>(n) > max_size)
      return local_error(file.string() + ": larger than " + std::to_string(max_size) + " bytes");
    out.append(buf, static_cast<std::size_t>(n));
  }
}

namespace detail {

Result<> fsync_dir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return local_error(errno_text(dir, "cannot fsync folder", errno));
  return {};
}

}  // namespace detail

}  // namespace sm::pki
