// input.h - the session's bounded input buffer and the command line
// scanner. Nothing here grows with the client's input: the buffer has a
// fixed capacity and over-long lines are reported, not stored.
#pragma once

#include <asio/buffer.hpp>

#include <cstddef>
#include <string_view>
#include <vector>

namespace sm::smtp {

inline constexpr std::size_t kInputCapacity = 64 * 1024;

class InputBuffer {
 public:
  explicit InputBuffer(std::size_t capacity = kInputCapacity) : buf_(capacity) {}
  std::string_view data() const { return {buf_.data() + begin_, end_ - begin_}; }
  bool empty() const { return begin_ == end_; }
  void consume(std::size_t n);
  void clear() { begin_ = end_ = 0; }
  // Free space after compaction; empty only when the buffer is full.
  asio::mutable_buffer prepare();
  void commit(std::size_t n) { end_ += n; }

 private:
  std::vector<char> buf_;
  std::size_t begin_ = 0, end_ = 0;
};

enum class LineStatus {
  ok,          // a CRLF-terminated line, returned without the CRLF
  need_more,   // no line end yet and still within the limit
  too_long,    // more than max_line octets (incl. CRLF) without a line end
  bad_ending,  // the line ends in a bare LF or contains a bare CR
};

struct LineScan {
  LineStatus status;
  std::string_view line;     // valid for ok
  std::size_t consumed = 0;  // octets to drop (ok, bad_ending: through the LF)
};

// Look for one command line at the start of buf. max_line counts the CRLF.
LineScan scan_line(std::string_view buf, std::size_t max_line);

}  // namespace sm::smtp
