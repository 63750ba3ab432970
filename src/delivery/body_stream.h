// body_stream.h - reading a stored message body in bounded chunks and the
// two line-end transformations delivery needs: SMTP DATA encoding
// (CRLF line ends, dot-stuffing, CRLF.CRLF terminator) and Maildir's LF
// line ends. Both are incremental so a body is never held in memory whole.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "delivery/transport.h"

namespace sm::delivery {

// Sequential reader of StoredMessage's octets [body_offset, body_offset+size)
// of its file, or of its octets in memory when it has them. Never reads
// past body_offset+size: a queue segment holds other records after it.
class BodyReader {
 public:
  BodyReader() = default;
  ~BodyReader();
  BodyReader(const BodyReader&) = delete;
  BodyReader& operator=(const BodyReader&) = delete;

  // Opens the file and checks that it holds the whole body (or checks the
  // octets in memory).
  Result<void> open(const StoredMessage& msg);
  // Next chunk of at most `max` octets into `out` (replacing it); empty at
  // the end. Errors: I/O failure or the file shrank (451 4.3.0).
  Result<void> read(std::string& out, std::size_t max = 64 * 1024);

 private:
  int fd_ = -1;        // ours (opened by path), or *shared_ when given
  std::shared_ptr<const int> shared_;
  std::shared_ptr<const std::string> memory_;
  std::string path_;
  std::uint64_t pos_ = 0, end_ = 0;
};

// SMTP DATA transparency (RFC 5321 4.5.2): a '.' at the start of a line is
// doubled; bare LF and bare CR become CRLF (never send smuggling material);
// finish() ends the last line if needed and appends ".\r\n".
class DotStuffer {
 public:
  void feed(std::string_view in, std::string& out);
  void finish(std::string& out);

 private:
  bool line_start_ = true;
  bool pending_cr_ = false;
};

// CRLF -> LF for Maildir; a bare CR is kept as is.
class LfConverter {
 public:
  void feed(std::string_view in, std::string& out);
  void finish(std::string& out);
  bool ends_with_newline() const { return last_lf_; }

 private:
  bool pending_cr_ = false;
  bool last_lf_ = true;
};

}  // namespace sm::delivery
