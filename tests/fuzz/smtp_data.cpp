// smtp_data.cpp - fuzz target: the octets a client sends after DATA, through
// smtp::DataParser (src/smtp/data.h), the SMTP-smuggling boundary.
//
// Input: two octets choose the line limit and a chunk size, the rest is
// the wire. Properties:
//  - the verdict (end found, octets consumed, fault, size, message) is the
//    same fed in one piece, octet by octet and in chunks: TCP segmentation
//    must not change where a message ends;
//  - an accepted message has only CRLF line ends, no NUL, no line over
//    the limit, and ends in CRLF (or is empty);
//  - dot-stuffing it again and adding CRLF.CRLF reads back the same message
//    (what our SMTP client sends is what a server like us receives).
#include <string>

#include "fuzz.h"
#include "smtp/data.h"

namespace {

struct Outcome {
  std::size_t consumed = 0;
  bool done = false;
  sm::smtp::DataFault fault = sm::smtp::DataFault::none;
  std::uint64_t size = 0;
  std::string message;
  bool operator==(const Outcome&) const = default;
};

Outcome parse(std::string_view wire, std::size_t max_line, std::size_t chunk) {
  sm::smtp::DataParser p(max_line, 1 << 20);
  Outcome o;
  while (o.consumed < wire.size() && !p.done()) {
    std::string_view piece = wire.substr(o.consumed, chunk);
    std::size_t n = p.feed(piece, o.message);
    FUZZ_REQUIRE(n <= piece.size());
    FUZZ_REQUIRE(n == piece.size() || p.done());
    o.consumed += n;
  }
  o.done = p.done();
  o.fault = p.fault();
  o.size = p.size();
  // A refused message is neither kept nor counted further: where counting
  // stopped may differ with the chunking, and nothing reads it then.
  if (o.fault != sm::smtp::DataFault::none) o.message.clear(), o.size = 0;
  return o;
}

std::string stuff(std::string_view message) {
  std::string wire;
  bool bol = true;
  for (char c : message) {
    if (bol && c == '.') wire += '.';
    wire += c;
    bol = c == '\n';
  }
  return wire + ".\r\n";
}

void check_message(std::string_view m, std::size_t max_line) {
  FUZZ_REQUIRE(m.empty() || m.ends_with("\r\n"));
  FUZZ_REQUIRE(m.find('\0') == std::string_view::npos);
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\r') FUZZ_REQUIRE(i + 1 < m.size() && m[i + 1] == '\n');
    if (m[i] == '\n') {
      FUZZ_REQUIRE(i > 0 && m[i - 1] == '\r');
      FUZZ_REQUIRE(i + 1 - line_start <= max_line);
      line_start = i + 1;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::size_t max_line = 8 + data[0] * 4;  // 8..1028: around RFC 5321's 1000
  std::size_t chunk = 1 + data[1] % 64;
  std::string_view wire = fuzz::text(data + 2, size - 2);

  Outcome whole = parse(wire, max_line, wire.size() + 1);
  FUZZ_REQUIRE(parse(wire, max_line, 1) == whole);
  FUZZ_REQUIRE(parse(wire, max_line, chunk) == whole);

  if (whole.done && whole.fault == sm::smtp::DataFault::none) {
    FUZZ_REQUIRE(whole.size == whole.message.size());
    check_message(whole.message, max_line);
    std::string again = stuff(whole.message);
    Outcome back = parse(again, max_line + 1, again.size() + 1);  // +1: a stuffed dot
    FUZZ_REQUIRE(back.done && back.consumed == again.size());
    FUZZ_REQUIRE(back.fault == sm::smtp::DataFault::none);
    FUZZ_REQUIRE(back.message == whole.message);
  }
  return 0;
}
