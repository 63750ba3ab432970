// data.h - the DATA phase as a pure byte-level state machine: finds the
// one real end of data (CRLF "." CRLF, RFC 5321 4.1.1.4), undoes dot
// stuffing (4.5.2) and detects what makes a message unacceptable.
//
// SMTP smuggling (SEC Consult, Dec 2023; CVE-2023-51764 Postfix,
// CVE-2023-51765 Sendmail, CVE-2023-51766 Exim): servers that accept
// "\n.\n", "\r.\r", "\n.\r\n" and similar as the end of data disagree with
// their peers about where a message ends, letting a second message be
// smuggled inside the first. Here only CRLF.CRLF ends DATA, and any bare
// CR or bare LF (or NUL) anywhere makes the whole message rejected, so a
// smuggled "end" is neither honoured nor passed on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sm::smtp {

enum class DataFault {
  none,
  bare_cr_lf,     // CR not followed by LF, or LF not preceded by CR
  nul,            // a NUL octet
  line_too_long,  // a text line over max_line octets including CRLF
  too_big,        // more than max_size octets after unstuffing
};

class DataParser {
 public:
  DataParser(std::size_t max_line, std::uint64_t max_size) : max_line_(max_line), max_size_(max_size) {}

  // Consume input up to and including the terminating CRLF.CRLF; append the
  // unstuffed message (CRLF line ends kept, terminator excluded) to out
  // while no fault has been seen. Returns the octets consumed; less than
  // in.size() only when the end was reached.
  std::size_t feed(std::string_view in, std::string& out);

  bool done() const { return state_ == State::end; }
  // The most serious fault seen (bare CR/LF and NUL outrank the limits).
  DataFault fault() const;
  std::uint64_t size() const { return size_; }

 private:
  enum class State { bol, dot, dot_cr, text, cr, end };
  void step(char c, std::string& out);
  void emit(std::string_view s, std::string& out);
  void text_char(char c, std::string& out);

  std::size_t max_line_;
  std::uint64_t max_size_;
  State state_ = State::bol;   // DATA's own CRLF counts as the line start
  std::size_t column_ = 0;     // wire octets in the current line so far
  std::uint64_t size_ = 0;
  bool bare_ = false, nul_ = false, long_ = false, big_ = false;
};

}  // namespace sm::smtp
