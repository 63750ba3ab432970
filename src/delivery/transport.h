// transport.h - what every delivery transport shares: where a message goes
// (NextHop), where its bytes are (StoredMessage) and what each recipient's
// attempt came to (RecipientOutcome).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "util/error.h"

namespace sm::delivery {

// A parsed delivery target: "mx" (look up the recipient domain's MX, fall
// back to A/AAAA), "smtp://HOST:PORT", "lmtp://HOST:PORT", "maildir:PATH".
struct NextHop {
  // pickup: the gateway's own secure pickup store (never parsed from config).
  enum class Kind { mx, smtp, lmtp, maildir, pickup };
  Kind kind = Kind::mx;
  std::string host;        // smtp/lmtp: host name or IP literal; mx: the recipient domain
  std::uint16_t port = 25;
  std::filesystem::path maildir;  // maildir: root folder

  std::string to_string() const;  // canonical text form, also the key for connection reuse
};

// Parse a target as written in config ("mx", "smtp://h:p", "lmtp://h:p",
// "maildir:PATH"); the error text says what is wrong with it.
Result<NextHop> parse_next_hop(const std::string& text);

// The message as stored in the queue: a file (a queue log segment) with the
// body starting at body_offset and running for size octets; or, when it was
// just received into memory, the same octets in *octets (the file is then
// not read). `file`, when set, is a descriptor of that file opened when the
// message was loaded: a segment compacted and deleted meanwhile stays
// readable through it. CRLF line ends, dot-unstuffed.
struct StoredMessage {
  std::filesystem::path path;
  std::uint64_t body_offset = 0;
  std::uint64_t size = 0;
  std::shared_ptr<const std::string> octets;
  std::shared_ptr<const int> file;
};

// The result for one recipient: the next hop's reply text when accepted
// ("250 2.0.0 Ok queued as X"), or an Error (temporary: retry; permanent:
// bounce) whose text names the host that said it.
struct RecipientOutcome {
  std::size_t index = 0;  // index into Envelope::recipients
  Result<std::string> result;
};

}  // namespace sm::delivery
