// source.cpp - MessageSource: a message on disk (at an offset, as in a
// spool file), in memory or behind an open descriptor, opened as many
// times as the engine needs (the header block first, then the whole
// message streamed), and cut into slices; and CRLF canonicalisation.
//
// A file source never reads the whole file into memory: open() gives a
// file BIO positioned at the offset, head() reads only what it is asked.
// Slices of files and descriptor sources read through a small BIO of our
// own that preads [begin, end) and reports end of data there.
#include "smime/source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <system_error>

#include "smime/filter_bio.h"

namespace sm::smime {
namespace {

struct RangeState {
  std::shared_ptr<const FileDescriptor> fd;
  std::uint64_t begin = 0, pos = 0, end = 0;
};

RangeState* range_of(BIO* b) { return detail::state_of<RangeState>(b); }

int range_read(BIO* b, char* out, int outl) {
  RangeState* st = range_of(b);
  BIO_clear_retry_flags(b);
  if (st == nullptr || out == nullptr || outl <= 0 || st->pos >= st->end) return 0;
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(static_cast<std::uint64_t>(outl), st->end - st->pos));
  ssize_t n;
  do n = ::pread(st->fd->get(), out, want, static_cast<off_t>(st->pos));
  while (n < 0 && errno == EINTR);
  if (n <= 0) return n == 0 ? 0 : -1;  // 0: the file is shorter than it was: end of data
  st->pos += static_cast<std::uint64_t>(n);
  return static_cast<int>(n);
}

long range_ctrl(BIO* b, int cmd, long, void*) {
  RangeState* st = range_of(b);
  if (st == nullptr) return 0;
  switch (cmd) {
    case BIO_CTRL_RESET: st->pos = st->begin; return 1;
    case BIO_CTRL_EOF: return st->pos >= st->end ? 1 : 0;
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_PENDING:
    case BIO_CTRL_WPENDING: return 0;
    default: return 0;
  }
}

const BIO_METHOD* range_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "file range source");
    if (m == nullptr) return m;
    BIO_meth_set_read(m, range_read);
    BIO_meth_set_ctrl(m, range_ctrl);
    BIO_meth_set_create(m, detail::create_state<RangeState>);
    BIO_meth_set_destroy(m, detail::destroy_state<RangeState>);
    return m;
  }();
  return method;
}

Result<ossl::BioPtr> range_bio(std::shared_ptr<const FileDescriptor> fd, std::uint64_t begin, std::uint64_t end) {
  const BIO_METHOD* method = range_method();
  ossl::BioPtr bio(method ? BIO_new(method) : nullptr);
  if (!bio) return local_error("out of memory opening message");
  RangeState* st = range_of(bio.get());
  st->fd = std::move(fd);
  st->begin = st->pos = begin;
  st->end = end;
  return bio;
}

}  // namespace

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

MessageSource MessageSource::file(std::filesystem::path path, std::uint64_t offset) {
  MessageSource s;
  s.path_ = std::move(path);
  s.offset_ = offset;
  return s;
}

MessageSource MessageSource::memory(std::string bytes) {
  MessageSource s;
  s.bytes_ = std::make_shared<const std::string>(std::move(bytes));
  s.in_memory_ = true;
  s.length_ = s.bytes_->size();
  return s;
}

MessageSource MessageSource::descriptor(std::shared_ptr<const FileDescriptor> fd, std::uint64_t size) {
  MessageSource s;
  s.fd_ = std::move(fd);
  s.length_ = size;
  return s;
}

MessageSource MessageSource::slice(std::uint64_t begin, std::uint64_t end) const {
  MessageSource s = *this;
  std::uint64_t limit = length_;
  if (limit == kToEnd) {
    auto total = size();  // a whole file: its size now
    limit = total ? *total : 0;
  }
  end = std::min(end, limit);
  begin = std::min(begin, end);
  s.offset_ = offset_ + begin;
  s.length_ = end - begin;
  return s;
}

std::string MessageSource::name() const {
  if (in_memory_) return "(memory)";
  return fd_ ? "(scratch file)" : path_.string();
}

Result<ossl::BioPtr> MessageSource::open() const {
  if (in_memory_) {
    // Read-only memory BIO over the shared bytes: no copy.
    ossl::BioPtr bio(BIO_new_mem_buf(bytes_->data() + offset_, static_cast<int>(length_)));
    if (!bio) return local_error("out of memory opening message");
    return bio;
  }
  if (fd_) return range_bio(fd_, offset_, offset_ + length_);
  if (length_ != kToEnd) {
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return local_error("cannot open " + path_.string() + ": " + std::strerror(errno));
    auto owner = std::make_shared<const FileDescriptor>(fd);
    return range_bio(std::move(owner), offset_, offset_ + length_);
  }
  ossl::BioPtr bio(BIO_new_file(path_.c_str(), "rb"));
  if (!bio) return local_error("cannot open " + path_.string() + ": " + ossl::openssl_error());
  if (offset_ > 0 && BIO_seek(bio.get(), static_cast<long>(offset_)) < 0)
    return local_error("cannot seek in " + path_.string());
  return bio;
}

Result<std::string> MessageSource::head(std::size_t max) const {
  if (in_memory_) return bytes_->substr(offset_, std::min<std::uint64_t>(max, length_));
  auto bio = open();
  if (!bio) return std::unexpected(bio.error());
  auto total = size();
  if (!total) return std::unexpected(total.error());
  std::string out(static_cast<std::size_t>(std::min<std::uint64_t>(max, *total)), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    int want = static_cast<int>(std::min<std::size_t>(out.size() - got, 1 << 20));
    int n = BIO_read(bio->get(), out.data() + got, want);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

Result<std::uint64_t> MessageSource::size() const {
  if (in_memory_ || fd_ || length_ != kToEnd) return length_;
  std::error_code ec;
  std::uint64_t total = std::filesystem::file_size(path_, ec);
  if (ec) return local_error("cannot stat " + path_.string() + ": " + ec.message());
  return total > offset_ ? total - offset_ : 0;
}

std::string canonicalize_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  char prev = 0;
  for (char c : text) {
    if (c == '\n' && prev != '\r') out += '\r';
    out += c;
    prev = c;
  }
  return out;
}

}  // namespace sm::smime
