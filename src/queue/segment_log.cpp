// segment_log.cpp - segment files: batched appends with one sync, rotation,
// deletion, and the recovery scan (see segment_log.h).
#include "queue/segment_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace fs = std::filesystem;

namespace sm::queue {

Error io_error(const std::string& what, int err) {
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) return Error{452, "4.3.1", "insufficient system storage"};
  return Error{451, "4.3.0", "queue " + what + ": " + std::strerror(err)};
}

namespace {

// pwritev until every iovec is written (short writes continue).
bool pwritev_all(int fd, std::vector<iovec>& iov, std::uint64_t offset, int& err) {
  std::size_t first = 0;
  while (first < iov.size()) {
    int n_iov = static_cast<int>(std::min<std::size_t>(iov.size() - first, IOV_MAX));
    ssize_t n = ::pwritev(fd, iov.data() + first, n_iov, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      return false;
    }
    offset += static_cast<std::uint64_t>(n);
    auto left = static_cast<std::size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < iov.size()) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return true;
}

// Copy length octets from the start of `from` to `to` at offset.
bool copy_body(int from, int to, std::uint64_t length, std::uint64_t offset, int& err) {
  loff_t in = 0, out = static_cast<loff_t>(offset);
  while (length > 0) {
    ssize_t n = ::copy_file_range(from, &in, to, &out, length, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      length -= static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) {
      err = EIO;  // the temporary file is shorter than recorded
      return false;
    }
    if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL) {
      err = errno;
      return false;
    }
    char buf[65536];  // copy_file_range not possible here: read and write
    ssize_t r = ::pread(from, buf, std::min<std::uint64_t>(sizeof buf, length), in);
    if (r <= 0) {
      err = r < 0 ? errno : EIO;
      return false;
    }
    std::vector<iovec> one{{buf, static_cast<std::size_t>(r)}};
    if (!pwritev_all(to, one, static_cast<std::uint64_t>(out), err)) return false;
    in += r;
    out += r;
    length -= static_cast<std::uint64_t>(r);
  }
  return true;
}

bool read_at(int fd, std::string& out, std::uint64_t offset, std::size_t length) {
  out.resize(length);
  std::size_t got = 0;
  while (got < length) {
    ssize_t n = ::pread(fd, out.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

fs::path SegmentLog::segment_path(const fs::path& dir, std::uint64_t segment) {
  char name[32];
  std::snprintf(name, sizeof name, "%016llX.log", static_cast<unsigned long long>(segment));
  return dir / name;
}

std::vector<std::uint64_t> SegmentLog::list(const fs::path& dir) {
  std::vector<std::uint64_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() != 20 || !name.ends_with(".log")) continue;
    char* end = nullptr;
    unsigned long long n = std::strtoull(name.c_str(), &end, 16);
    if (end == name.c_str() + 16) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

SegmentLog::SegmentLog(fs::path dir, int dir_fd, std::uint64_t limit)
    : dir_(std::move(dir)), dir_fd_(dir_fd), limit_(limit) {}

SegmentLog::~SegmentLog() {
  if (head_fd_ >= 0) ::close(head_fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

Result<std::unique_ptr<SegmentLog>> SegmentLog::open(const fs::path& dir, std::uint64_t limit) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return local_error("cannot open queue folder " + dir.string() + ": " + std::strerror(errno));
  std::unique_ptr<SegmentLog> log(new SegmentLog(dir, dfd, limit));
  auto present = list(dir);
  log->head_ = present.empty() ? 1 : present.back() + 1;
  return log;
}

// The head is created at its first record: opening the log writes nothing.
Result<void> SegmentLog::rotate() {
  if (head_fd_ >= 0) {
    ::close(head_fd_);  // its records were synced by the batch that filled it
    head_fd_ = -1;
    ++head_;
  }
  fs::path p = path(head_);
  int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(io_error("create segment " + p.filename().string(), errno));
  if (::fsync(dir_fd_) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(p.c_str());
    return std::unexpected(io_error("fsync segment folder", e));
  }
  head_fd_ = fd;
  head_size_ = 0;
  return {};
}

Result<void> SegmentLog::write_record(const OutgoingRecord& r, std::uint64_t offset) {
  std::vector<iovec> iov;
  for (std::string_view part : {std::string_view(r.header), r.head, r.body})
    if (!part.empty()) iov.push_back({const_cast<char*>(part.data()), part.size()});
  int err = 0;
  if (!pwritev_all(head_fd_, iov, offset, err)) return std::unexpected(io_error("write", err));
  std::uint64_t at = offset + r.header.size() + r.head.size() + r.body.size();
  if (r.body_fd >= 0 && !copy_body(r.body_fd, head_fd_, r.body_length, at, err))
    return std::unexpected(io_error("write", err));
  return {};
}

Result<std::vector<RecordPlace>> SegmentLog::append(const std::vector<OutgoingRecord>& records, bool durable) {
  std::vector<RecordPlace> places;
  std::vector<std::pair<int, std::uint64_t>> touched;  // (fd, size before the batch); fds of closed heads kept open
  std::vector<int> owned;                              // rotated-out heads, closed at the end
  std::vector<iovec> iov;
  std::uint64_t run_start = head_size_;  // where the memory records gathered in iov go
  Result<void> status;

  auto flush = [&]() -> Result<void> {
    int err = 0;
    if (!iov.empty() && !pwritev_all(head_fd_, iov, run_start, err)) return std::unexpected(io_error("write", err));
    iov.clear();
    run_start = head_size_;
    return {};
  };
  auto touch = [&] {
    if (touched.empty() || touched.back().first != head_fd_) touched.emplace_back(head_fd_, head_size_);
  };

  for (const auto& r : records) {
    if (head_fd_ < 0 || (head_size_ > 0 && head_size_ + r.size() > limit_)) {
      if (status = flush(); !status) break;
      if (dirty_ && head_fd_ >= 0 && (touched.empty() || touched.back().first != head_fd_))
        touched.emplace_back(head_fd_, head_size_);  // earlier records not synced yet: synced below
      dirty_ = false;
      if (!touched.empty() && touched.back().first == head_fd_) {
        owned.push_back(::dup(head_fd_));  // synced below with the rest of the batch
        touched.back().first = owned.back();
      }
      if (status = rotate(); !status) break;
      run_start = 0;
    }
    touch();
    places.push_back({head_, head_size_});
    if (r.body_fd >= 0) {
      if (status = flush(); !status) break;
      if (status = write_record(r, head_size_); !status) break;
      head_size_ += r.size();
      run_start = head_size_;
      continue;
    }
    for (std::string_view part : {std::string_view(r.header), r.head, r.body})
      if (!part.empty()) iov.push_back({const_cast<char*>(part.data()), part.size()});
    head_size_ += r.size();
  }
  if (status) status = flush();
  bool head_written = !touched.empty() && touched.back().first == head_fd_;
  if (durable && dirty_ && !head_written && head_fd_ >= 0) touched.emplace_back(head_fd_, head_size_);
  for (const auto& [fd, before] : touched) {
    if (!status) break;
    if (!durable && fd == head_fd_) continue;  // stays dirty
    if (::fdatasync(fd) != 0) status = std::unexpected(io_error("fsync", errno));
  }
  if (status) dirty_ = durable ? false : (dirty_ || head_written);
  if (!status) {
    // Nothing of this batch may stay in front of a later one.
    for (const auto& [fd, before] : touched) (void)::ftruncate(fd, static_cast<off_t>(before));
    if (!touched.empty() && touched.back().first == head_fd_) head_size_ = touched.back().second;
  }
  for (int fd : owned) ::close(fd);
  if (!status) return std::unexpected(status.error());
  return places;
}

Result<void> SegmentLog::remove(std::uint64_t segment) {
  if (segment == head_ && head_fd_ >= 0) return local_error("the head segment is in use");
  if (::unlink(path(segment).c_str()) != 0 && errno != ENOENT)
    return std::unexpected(io_error("delete segment", errno));
  if (::fsync(dir_fd_) != 0) return std::unexpected(io_error("fsync segment folder", errno));
  return {};
}

Result<SegmentScan> scan_segment(const fs::path& file, const RecordVisitor& visit) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return local_error("cannot open " + file.string() + ": " + std::strerror(errno));
  struct stat st {};
  ::fstat(fd, &st);
  SegmentScan scan;
  scan.file_size = static_cast<std::uint64_t>(st.st_size);
  std::string header, payload;
  // Is there an intact record at pos? Fills header/payload when so.
  auto intact_at = [&](std::uint64_t pos, RecordHeader& h) {
    if (pos + kRecordHeaderSize > scan.file_size || !read_at(fd, header, pos, kRecordHeaderSize)) return false;
    auto decoded = decode_header(header);
    if (!decoded || pos + kRecordHeaderSize + decoded->length > scan.file_size) return false;
    if (!read_at(fd, payload, pos + kRecordHeaderSize, decoded->length)) return false;
    if (!record_intact(*decoded, header, payload)) return false;
    h = std::move(*decoded);
    return true;
  };
  std::uint64_t pos = 0;
  while (pos < scan.file_size) {
    RecordHeader h;
    if (intact_at(pos, h)) {
      visit(h, pos, payload);
      pos += kRecordHeaderSize + h.length;
      scan.valid_end = pos;
      continue;
    }
    // Look for the next intact record after the damage.
    std::string rest;
    read_at(fd, rest, pos, static_cast<std::size_t>(scan.file_size - pos));
    std::uint64_t next = 0;
    for (std::size_t at = rest.find("SMQ1", 1); at != std::string::npos; at = rest.find("SMQ1", at + 1)) {
      RecordHeader probe;
      if (intact_at(pos + at, probe)) {
        next = pos + at;
        break;
      }
    }
    if (next == 0) break;  // nothing intact follows: a torn tail
    scan.damaged.push_back({pos, next - pos});
    pos = next;
  }
  ::close(fd);
  return scan;
}

}  // namespace sm::queue
