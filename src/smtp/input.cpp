// input.cpp - InputBuffer and scan_line.
#include "smtp/input.h"

#include <cstring>

namespace sm::smtp {

void InputBuffer::consume(std::size_t n) {
  begin_ += n < end_ - begin_ ? n : end_ - begin_;
  if (begin_ == end_) begin_ = end_ = 0;
}

asio::mutable_buffer InputBuffer::prepare() {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  return asio::buffer(buf_.data() + end_, buf_.size() - end_);
}

LineScan scan_line(std::string_view buf, std::size_t max_line) {
  std::string_view window = buf.substr(0, max_line);
  std::size_t lf = window.find('\n');
  if (lf == std::string_view::npos) {
    if (buf.size() >= max_line) return {LineStatus::too_long, {}, 0};
    return {LineStatus::need_more, {}, 0};
  }
  if (lf == 0 || buf[lf - 1] != '\r') return {LineStatus::bad_ending, {}, lf + 1};
  std::string_view line = buf.substr(0, lf - 1);
  if (line.find('\r') != std::string_view::npos) return {LineStatus::bad_ending, {}, lf + 1};
  return {LineStatus::ok, line, lf + 1};
}

}  // namespace sm::smtp
