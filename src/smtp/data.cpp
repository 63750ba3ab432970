// data.cpp - DataParser: one state per position relative to the last
// CRLF; "." at a line start is held until we know whether the line is the
// terminator (".\r\n") or a stuffed line (the dot is dropped).
#include "smtp/data.h"

namespace sm::smtp {

DataFault DataParser::fault() const {
  if (bare_) return DataFault::bare_cr_lf;
  if (nul_) return DataFault::nul;
  if (long_) return DataFault::line_too_long;
  if (big_) return DataFault::too_big;
  return DataFault::none;
}

std::size_t DataParser::feed(std::string_view in, std::string& out) {
  static constexpr std::string_view specials("\r\n\0", 3);
  std::size_t i = 0;
  while (i < in.size() && state_ != State::end) {
    if (state_ == State::text) {  // fast path: a run of ordinary octets
      std::size_t j = in.find_first_of(specials, i);
      if (j == std::string_view::npos) j = in.size();
      if (j > i) {
        column_ += j - i;
        if (column_ > max_line_) long_ = true;
        emit(in.substr(i, j - i), out);
        i = j;
        continue;
      }
    }
    step(in[i++], out);
  }
  return i;
}

void DataParser::emit(std::string_view s, std::string& out) {
  if (fault() != DataFault::none) return;  // rejected: count nothing, keep nothing
  size_ += s.size();
  if (size_ > max_size_) {
    big_ = true;
    return;
  }
  out.append(s);
}

void DataParser::step(char c, std::string& out) {
  if (++column_ > max_line_) long_ = true;
  if (c == '\0') nul_ = true;
  switch (state_) {
    case State::bol:
      if (c == '.') { state_ = State::dot; return; }
      text_char(c, out);
      return;
    case State::dot:  // ".x": stuffed line, the dot goes
      if (c == '\r') { state_ = State::dot_cr; return; }
      text_char(c, out);
      return;
    case State::dot_cr:
      if (c == '\n') { state_ = State::end; return; }
      bare_ = true;  // ".\r" then not LF
      text_char(c, out);
      return;
    case State::cr:
      if (c == '\n') {
        emit("\r\n", out);
        state_ = State::bol;
        column_ = 0;
        return;
      }
      bare_ = true;  // CR not followed by LF
      text_char(c, out);
      return;
    case State::text:
      text_char(c, out);
      return;
    case State::end:
      return;
  }
}

// An octet inside a line (not the LF of a CRLF).
void DataParser::text_char(char c, std::string& out) {
  if (c == '\r') { state_ = State::cr; return; }
  if (c == '\n') bare_ = true;  // LF without CR; the line does not end here
  state_ = State::text;
  emit(std::string_view(&c, 1), out);
}

}  // namespace sm::smtp
