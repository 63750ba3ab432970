// session_bdat.cpp - RFC 3030 CHUNKING: "BDAT <size> [LAST]" followed by
// exactly <size> octets, taken as they are (no dot-unstuffing, no line-end
// rewriting, any octet allowed), one reply per chunk so a client can
// pipeline them, the message ending with the LAST chunk.
//
// The chunks go to the same MessageSink as DATA: the sink's strict header
// check, size accounting and commit apply unchanged, and the reply after
// LAST is the one DATA's end gets (250 with the queue id, or the refusal).
//
// Whatever a BDAT command is answered, its chunk is always read (and
// thrown away when refused) so the session stays in step with the client;
// this is also why a BDAT whose size cannot be read ends the session: the
// octets that follow could otherwise be taken as commands.
//
// Replies:
//   no EHLO / no MAIL / no accepted RCPT:  503 5.5.1 (chunk discarded)
//   bad size or end marker:                501 5.5.4, then the connection closes
//   message over the SIZE limit:           552 5.3.4, repeated for every
//                                          further chunk until LAST; the
//                                          session stays usable
//   sink refusal (write or on_data):       its Error, repeated likewise
// A chunk cut by the client's disconnect drops the uncommitted message:
// nothing was acknowledged for it beyond "chunk received".
#include <algorithm>
#include <chrono>

#include "smtp/reply.h"
#include "smtp/session.h"
#include "util/log.h"

namespace sm::smtp {

asio::awaitable<Session::Io> Session::do_bdat(const Command& cmd) {
  const std::uint64_t size = cmd.chunk_size;
  const bool last = cmd.last_chunk;
  std::optional<Error> refusal = bdat_refusal();
  if (refusal && !chunking_.started) {  // out of sequence: nothing of a transaction to keep
    Io io = co_await discard_chunk(size);
    if (io == Io::ok) protocol_error(refusal->code, refusal->enhanced, refusal->text);
    co_return io;
  }
  if (!chunking_.started) {
    chunking_.started = true;
    envelope_->arrival = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
    auto sink = handler_.on_data(info_, *envelope_);
    if (!sink || !*sink) chunking_.failed = sink ? Error{451, "4.3.0", "Error: no message sink"} : sink.error();
    else chunking_.sink = std::move(*sink);
  }
  const bool refused = chunking_.failed.has_value();
  DataResult chunk = co_await receive_chunk(size, refused ? nullptr : chunking_.sink.get());
  if (chunk.io != Io::ok) {
    reset_transaction();  // the sink is destroyed without commit: discarded
    co_return chunk.io;
  }
  if (!refused) {
    if (chunk.fault == DataFault::too_big) chunking_.failed = Error{552, "5.3.4", "Message size exceeds fixed limit"};
    else if (chunk.sink_error) chunking_.failed = *chunk.sink_error;
    if (chunking_.failed) {
      log::warn("smtpd: reject BDAT from [{}]: from=<{}>: {}", info_.peer_address, envelope_->sender,
                chunking_.failed->reply());
      chunking_.sink.reset();
    }
  }
  if (chunking_.failed) {
    reply(*chunking_.failed);
    if (last) reset_transaction();
    co_return Io::ok;
  }
  if (!last) {
    reply(250, "2.0.0", std::to_string(size) + " octets received");
    co_return Io::ok;
  }
  DataResult whole;
  whole.size = chunking_.size;
  co_await answer_data(std::move(whole), *chunking_.sink);
  reset_transaction();
  co_return Io::ok;
}

// Why this BDAT cannot go on, or nothing. A transaction whose chunking has
// failed keeps its refusal (do_bdat repeats it) rather than getting a new one.
std::optional<Error> Session::bdat_refusal() const {
  if (!esmtp_) return Error{503, "5.5.1", "Error: send EHLO first"};
  if (!envelope_) return Error{503, "5.5.1", "Error: need MAIL command"};
  if (envelope_->recipients.empty()) return Error{503, "5.5.1", "Error: need RCPT command"};
  return std::nullopt;
}

// Read exactly `size` octets; hand them to the sink (when there is one)
// while the message stays within the SIZE limit. Input stays bounded by the
// 64 KiB input buffer: every piece goes to the sink as it arrives.
asio::awaitable<Session::DataResult> Session::receive_chunk(std::uint64_t size, MessageSink* sink) {
  DataResult result;
  const std::uint64_t max = options_.limits.max_message_size;
  std::uint64_t left = size;
  while (left > 0) {
    if (in_.empty()) {
      if (Io io = co_await fill(); io != Io::ok) {
        result.io = io;
        co_return result;
      }
    }
    std::string_view piece = in_.data().substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(left, in_.data().size())));
    if (sink && result.fault == DataFault::none && !result.sink_error) {
      if (chunking_.size + piece.size() > max) {
        result.fault = DataFault::too_big;
      } else if (auto r = sink->write(piece); !r) {
        result.sink_error = r.error();
      } else {
        chunking_.size += piece.size();
      }
    }
    left -= piece.size();
    in_.consume(piece.size());
  }
  co_return result;
}

asio::awaitable<Session::Io> Session::discard_chunk(std::uint64_t size) {
  DataResult r = co_await receive_chunk(size, nullptr);
  co_return r.io;
}

}  // namespace sm::smtp
