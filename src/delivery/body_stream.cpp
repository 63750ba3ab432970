// body_stream.cpp - chunked body reading, dot-stuffing and CRLF->LF (see
// body_stream.h).
#include "delivery/body_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sm::delivery {

BodyReader::~BodyReader() {
  if (fd_ >= 0 && !shared_) ::close(fd_);
}

Result<void> BodyReader::open(const StoredMessage& msg) {
  if (fd_ >= 0 && !shared_) ::close(fd_);
  fd_ = -1;
  shared_.reset();
  memory_.reset();
  path_ = msg.path.string();
  if (msg.octets) {
    if (msg.octets->size() != msg.size) return local_error("message in memory is not its recorded size");
    memory_ = msg.octets;
    pos_ = 0;
    end_ = msg.size;
    return {};
  }
  if (msg.file && *msg.file >= 0) {
    shared_ = msg.file;
    fd_ = *shared_;
  } else {
    fd_ = ::open(msg.path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd_ < 0) return local_error("cannot open " + path_ + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return local_error("cannot stat " + path_ + ": " + std::strerror(errno));
  if (static_cast<std::uint64_t>(st.st_size) < msg.body_offset + msg.size) {
    return local_error("queue file " + path_ + " is shorter than its recorded size");
  }
  pos_ = msg.body_offset;
  end_ = msg.body_offset + msg.size;
  return {};
}

Result<void> BodyReader::read(std::string& out, std::size_t max) {
  out.clear();
  if (fd_ < 0 && !memory_) return local_error("body reader not open");
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(max, end_ - pos_));
  if (want == 0) return {};
  if (memory_) {
    out.assign(*memory_, static_cast<std::size_t>(pos_), want);
    pos_ += want;
    return {};
  }
  out.resize(want);
  std::size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(fd_, out.data() + got, want - got, static_cast<off_t>(pos_ + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return local_error("cannot read " + path_ + ": " + std::strerror(errno));
    }
    if (n == 0) return local_error("queue file " + path_ + " shrank while reading");
    got += static_cast<std::size_t>(n);
  }
  pos_ += got;
  return {};
}

void DotStuffer::feed(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size() + in.size() / 64 + 8);
  for (char c : in) {
    if (pending_cr_) {
      pending_cr_ = false;
      out += "\r\n";
      line_start_ = true;
      if (c == '\n') continue;  // it was a proper CRLF
    }
    if (c == '\r') {
      pending_cr_ = true;
      continue;
    }
    if (c == '\n') {  // bare LF
      out += "\r\n";
      line_start_ = true;
      continue;
    }
    if (line_start_ && c == '.') out += '.';
    out += c;
    line_start_ = false;
  }
}

void DotStuffer::finish(std::string& out) {
  if (pending_cr_) {
    pending_cr_ = false;
    out += "\r\n";
    line_start_ = true;
  }
  if (!line_start_) out += "\r\n";
  out += ".\r\n";
  line_start_ = true;
}

void LfConverter::feed(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size());
  for (char c : in) {
    if (pending_cr_) {
      pending_cr_ = false;
      if (c == '\n') {
        out += '\n';
        last_lf_ = true;
        continue;
      }
      out += '\r';
      last_lf_ = false;
    }
    if (c == '\r') {
      pending_cr_ = true;
      continue;
    }
    out += c;
    last_lf_ = c == '\n';
  }
}

void LfConverter::finish(std::string& out) {
  if (pending_cr_) {
    pending_cr_ = false;
    out += '\r';
    last_lf_ = false;
  }
}

}  // namespace sm::delivery
