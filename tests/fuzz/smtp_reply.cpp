// smtp_reply.cpp - fuzz target: what a remote server answers our SMTP/LMTP
// client, through delivery::ReplyReader and parse_capabilities
// (src/delivery/reply_reader.h) - the client's view of a hostile or broken
// peer.
//
// Input: one octet chooses a chunk size, the rest is the server's stream.
// Properties: the replies read (and where reading broke) are the same
// whatever the chunking; every reply has a code 200-599, an enhanced
// status that is empty or "c.s.d" of the same class, text that is only
// printable ASCII and '\n' between lines, bounded in size; the buffer
// never holds more than a line's limit unread when more input is asked
// for; and the EHLO keyword reader accepts any reply text.
#include <string>
#include <vector>

#include "delivery/reply_reader.h"
#include "fuzz.h"

namespace {

using sm::delivery::ReplyReader;

struct Outcome {
  std::vector<sm::delivery::ServerReply> replies;
  bool broken = false;
  bool operator==(const Outcome& o) const {
    if (broken != o.broken || replies.size() != o.replies.size()) return false;
    for (std::size_t i = 0; i < replies.size(); ++i)
      if (replies[i].code != o.replies[i].code || replies[i].enhanced != o.replies[i].enhanced ||
          replies[i].text != o.replies[i].text)
        return false;
    return true;
  }
};

Outcome read_all(std::string_view stream, std::size_t chunk) {
  Outcome o;
  ReplyReader reader;
  std::string buf;
  std::size_t pos = 0;
  while (true) {
    auto status = reader.read(buf);
    if (status == ReplyReader::Status::broken) {
      FUZZ_REQUIRE(!reader.why().empty());
      o.broken = true;
      return o;
    }
    if (status == ReplyReader::Status::complete) {
      o.replies.push_back(reader.reply());
      continue;
    }
    FUZZ_REQUIRE(buf.size() <= sm::delivery::kMaxReplyLine + 1);  // a longest line and its CR
    FUZZ_REQUIRE(buf.find('\n') == std::string::npos);
    if (pos >= stream.size()) return o;  // the server stopped mid-reply: the caller's time-out
    buf.append(stream.substr(pos, chunk));
    pos += chunk;
  }
}

void check(const sm::delivery::ServerReply& r) {
  FUZZ_REQUIRE(r.code >= 200 && r.code <= 599);
  if (!r.enhanced.empty()) {
    FUZZ_REQUIRE(r.enhanced[0] - '0' == r.code / 100);
    FUZZ_REQUIRE(r.enhanced.size() >= 5 && r.enhanced.size() <= 9);
  }
  for (char c : r.text) FUZZ_REQUIRE(c == '\n' || (c >= 0x20 && c < 0x7f));
  FUZZ_REQUIRE(r.text.size() <= 9 * (sm::delivery::kMaxReplyLine + 4));
  auto caps = sm::delivery::parse_capabilities(r.text);
  FUZZ_REQUIRE(caps.esmtp);
  if (!caps.size) FUZZ_REQUIRE(caps.size_limit == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t chunk = 1 + data[0] % 97;
  std::string_view stream = fuzz::text(data + 1, size - 1);
  Outcome whole = read_all(stream, stream.size() + 1);
  for (const auto& r : whole.replies) check(r);
  Outcome pieces = read_all(stream, chunk);
  FUZZ_REQUIRE(pieces == whole);
  return 0;
}
