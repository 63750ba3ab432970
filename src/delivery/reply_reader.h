// reply_reader.h - reading a server's SMTP/LMTP replies (RFC 5321 4.2,
// RFC 2034 enhanced codes) and its EHLO/LHLO keywords, with no I/O: the
// client's socket loop appends what it receives and asks for the next
// complete reply. Pure, so it is unit-tested and fuzzed (tests/fuzz/
// smtp_reply.cpp) without a socket.
//
// Bounded: a line over kMaxReplyLine octets, more than kMaxReplyLines lines
// or a reply text over 8 lines' worth breaks the reply; nothing buffers
// more than that. Text is cleaned to printable ASCII.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sm::delivery {

inline constexpr std::size_t kMaxReplyLine = 4096;  // RFC 5321 says 512; be lenient
inline constexpr std::size_t kMaxReplyLines = 200;

struct ServerReply {
  int code = 0;          // 200..599
  std::string enhanced;  // the first line's enhanced status ("2.1.5"), may be empty
  std::string text;      // each line's text after the code (and status), cleaned; '\n'-separated
};

class ReplyReader {
 public:
  enum class Status { complete, need_more, broken };

  // Take lines (LF or CRLF ended) from the front of `in`, erasing them,
  // until a reply is complete (then reply() holds it and the next call
  // starts a new one), more input is needed, or the reply is broken (why()
  // says how; the connection is then unusable).
  Status read(std::string& in);
  const ServerReply& reply() const { return reply_; }
  const std::string& why() const { return why_; }

 private:
  Status broken(std::string why);

  ServerReply reply_;
  std::size_t lines_ = 0;
  bool done_ = false;
  std::string why_;
};

// Printable ASCII only (TAB becomes a space, anything else '?'), at most
// max octets then "...".
std::string clean_reply_text(std::string_view s, std::size_t max);

// What the server said it supports (after the last EHLO/LHLO).
struct ServerCapabilities {
  bool esmtp = false;  // EHLO/LHLO accepted (false after a HELO fallback)
  bool pipelining = false;
  bool size = false;
  std::uint64_t size_limit = 0;  // 0: no limit announced
  bool eightbitmime = false;
  bool chunking = false;    // RFC 3030 BDAT
  bool binarymime = false;  // RFC 3030 BODY=BINARYMIME (only usable with chunking)
  bool dsn = false;
  bool starttls = false;
  bool smtputf8 = false;
  bool enhanced_status = false;
};

// The keywords of an accepted EHLO/LHLO reply: `text` as ServerReply has it
// (the first line is the greeting, each further line one keyword and its
// arguments). Sets esmtp.
ServerCapabilities parse_capabilities(std::string_view text);

}  // namespace sm::delivery
