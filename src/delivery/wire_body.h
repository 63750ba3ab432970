// wire_body.h - a stored message body read in pieces in the form it goes
// on the wire, before any DATA dot-stuffing: as stored, or converted from
// our sealed binary form to base64 (binary_downgrade.h). For BDAT it looks
// one piece ahead, so the piece that ends the message is known and can
// carry LAST. Memory: at most two pieces.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "delivery/binary_downgrade.h"
#include "delivery/body_stream.h"

namespace sm::delivery {

class WireBody {
 public:
  // Opens the stored message (errors as BodyReader::open).
  Result<void> open(const StoredMessage& message) { return reader_.open(message); }
  // Convert the sealed binary form to base64 on the way (before the first read).
  void downgrade() { downgrade_.emplace(); }
  bool downgrading() const { return downgrade_.has_value(); }

  // The next piece of about `max` octets (a downgraded piece may be a
  // little longer) into `out`; empty at the end.
  Result<void> next(std::string& out, std::size_t max);
  // The next non-empty piece for a BDAT chunk into `out`, and whether it is
  // the last one. An empty message gives one empty last chunk.
  Result<bool> next_chunk(std::string& out, std::size_t max);

 private:
  BodyReader reader_;
  std::optional<BinaryDowngrade> downgrade_;
  std::string raw_;
  std::string ahead_;          // the piece after the one handed out (next_chunk)
  bool ahead_valid_ = false;
  bool ended_ = false;
};

}  // namespace sm::delivery
