// maildir.cpp - Maildir delivery (see maildir.h).
#include "delivery/maildir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "delivery/body_stream.h"
#include "util/log.h"

namespace sm::delivery {

namespace {

std::unexpected<Error> io_error(int err, const std::string& what) {
  if (err == ENOSPC || err == EDQUOT) {
    return fail(452, "4.3.1", what + ": " + std::strerror(err));
  }
  return fail(451, "4.3.0", what + ": " + std::strerror(err));
}

// Unique-name host part: '/' and ':' are escaped as the spec asks.
std::string host_part() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "localhost";
  std::string out;
  for (const char* p = buf; *p; ++p) {
    if (*p == '/') out += "\\057";
    else if (*p == ':') out += "\\072";
    else out += *p;
  }
  return out;
}

std::atomic<unsigned long> g_counter{0};

std::string unique_name() {
  timeval tv{};
  ::gettimeofday(&tv, nullptr);
  return std::to_string(tv.tv_sec) + ".M" + std::to_string(tv.tv_usec) + "P" +
         std::to_string(::getpid()) + "Q" + std::to_string(++g_counter) + "." + host_part();
}

Result<void> make_dir(const std::filesystem::path& p) {
  if (::mkdir(p.c_str(), 0700) == 0 || errno == EEXIST) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    return fail(451, "4.3.0", "maildir path " + p.string() + " is not a directory");
  }
  return io_error(errno, "cannot create " + p.string());
}

Result<void> fsync_dir(const std::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error(errno, "cannot open " + p.string());
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_error(err, "cannot fsync " + p.string());
  return {};
}

// Write all of `data` to fd.
Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(errno, "cannot write " + path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Header values must stay on one line.
std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

}  // namespace

Result<std::string> maildir_folder_name(const std::string& recipient) {
  auto at = recipient.rfind('@');
  std::string local = at == std::string::npos ? recipient : recipient.substr(0, at);
  auto bad = [&](const char* why) {
    return fail(550, "5.1.1", "<" + one_line(recipient) + ">: bad mailbox name: " + why);
  };
  if (local.empty()) return bad("empty local part");
  if (local.front() == '.') return bad("leading '.'");
  for (char c : local) {
    if (c == '/') return bad("'/' in local part");
    if (c == '\0') return bad("NUL in local part");
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return bad("control character in local part");
  }
  for (char& c : local) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return local;
}

Result<void> deliver_maildir(const std::filesystem::path& root, const std::string& recipient,
                             const mail::Envelope& env, const StoredMessage& msg) {
  auto folder = maildir_folder_name(recipient);
  if (!folder) return std::unexpected(folder.error());
  BodyReader reader;
  if (auto r = reader.open(msg); !r) return r;

  std::filesystem::path box = root / *folder;
  for (const auto& p : {root, box, box / "tmp", box / "new", box / "cur"}) {
    if (auto r = make_dir(p); !r) return r;
  }
  std::string name = unique_name();
  std::filesystem::path tmp = box / "tmp" / name;
  std::filesystem::path dst = box / "new" / name;

  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(errno, "cannot create " + tmp.string());
  auto abandon = [&](Result<void> r) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return r;
  };

  std::string out = "Return-Path: <" + one_line(env.sender) + ">\nDelivered-To: " +
                    one_line(recipient) + "\n";
  LfConverter lf;
  std::string chunk;
  while (true) {
    if (auto r = reader.read(chunk); !r) return abandon(r);
    if (chunk.empty()) break;
    lf.feed(chunk, out);
    if (out.size() >= 64 * 1024) {
      if (auto r = write_all(fd, out, tmp.string()); !r) return abandon(r);
      out.clear();
    }
  }
  lf.finish(out);
  if (!lf.ends_with_newline()) out += '\n';
  if (auto r = write_all(fd, out, tmp.string()); !r) return abandon(r);
  if (::fsync(fd) != 0) return abandon(io_error(errno, "cannot fsync " + tmp.string()));
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error(err, "cannot close " + tmp.string());
  }
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error(err, "cannot rename " + tmp.string() + " to " + dst.string());
  }
  if (auto r = fsync_dir(box / "new"); !r) return r;
  if (!env.discreet) log::debug("{}: to=<{}>, relay=maildir, delivered to {}", env.id, recipient, dst.string());
  return {};
}

}  // namespace sm::delivery
