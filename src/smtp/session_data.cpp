// session_data.cpp - DATA: 354, streaming the dot-unstuffed body to the
// MessageSink in chunks of about 64 KiB, reading a rejected message to its
// real end so the session stays in step with the client, then the final
// reply (250 with the queue id only after commit()), also given after
// BDAT's LAST chunk (session_bdat.cpp).
//
// Reply choices (faults found while reading the text):
//   bare CR / bare LF: 554 5.6.0 - SMTP smuggling defence (SEC Consult
//     "SMTP Smuggling", Dec 2023; CVE-2023-51764/51765/51766). 5.6.0 is
//     "other or undefined media error", the registered code that fits.
//   NUL octet:         554 5.6.0
//   line > max_line:   500 5.5.2 "line too long" (RFC 5321 4.5.3.1.6)
//   size > max:        552 5.3.4 (RFC 1870)
#include <chrono>

#include "smtp/reply.h"
#include "smtp/session.h"
#include "util/log.h"

namespace sm::smtp {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

}  // namespace

asio::awaitable<Session::Io> Session::do_data() {
  if (!envelope_) {
    protocol_error(503, "5.5.1", "Error: need MAIL command");
    co_return Io::ok;
  }
  if (envelope_->recipients.empty()) {
    protocol_error(554, "5.5.1", "Error: no valid recipients");
    co_return Io::ok;
  }
  // RFC 3030 3: a BINARYMIME body can only come with BDAT; 2: no DATA in a
  // transaction that began its message with BDAT.
  if (envelope_->body_binary) {
    protocol_error(503, "5.5.1", "Error: BODY=BINARYMIME requires BDAT");
    co_return Io::ok;
  }
  if (chunking_.started) {
    protocol_error(503, "5.5.1", "Error: DATA not allowed after BDAT");
    co_return Io::ok;
  }
  envelope_->arrival = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  auto sink = handler_.on_data(info_, *envelope_);
  if (!sink || !*sink) {
    reply(sink ? Error{451, "4.3.0", "Error: no message sink"} : sink.error());
    co_return Io::ok;
  }
  reply(354, "", "End data with <CR><LF>.<CR><LF>");
  DataResult result = co_await receive_data(**sink);
  if (result.io != Io::ok) {
    reset_transaction();  // the sink is destroyed without commit: discarded
    co_return result.io;
  }
  co_await answer_data(std::move(result), **sink);
  reset_transaction();
  co_return Io::ok;
}

// Read until CRLF.CRLF. Input stays bounded by the 64 KiB input buffer and
// one chunk; after a fault or a sink error nothing more is stored.
asio::awaitable<Session::DataResult> Session::receive_data(MessageSink& sink) {
  DataParser parser(std::max<std::size_t>(options_.limits.max_line, 3), options_.limits.max_message_size);
  DataResult result;
  std::string chunk;
  chunk.reserve(2 * kChunk);
  for (;;) {
    in_.consume(parser.feed(in_.data(), chunk));
    bool done = parser.done();
    if (chunk.size() >= kChunk || (done && !chunk.empty())) {
      if (parser.fault() == DataFault::none && !result.sink_error) {
        if (auto r = sink.write(chunk); !r) result.sink_error = r.error();
      }
      chunk.clear();
    }
    if (done) break;
    if (Io io = co_await fill(); io != Io::ok) {
      result.io = io;
      co_return result;
    }
  }
  result.fault = parser.fault();
  result.size = parser.size();
  co_return result;
}

asio::awaitable<void> Session::answer_data(DataResult result, MessageSink& sink) {
  const std::string& from = envelope_->sender;
  auto reject = [&](int code, const char* enhanced, const char* text) {
    log::warn("smtpd: reject DATA from [{}]: from=<{}>: {} {} {}", info_.peer_address, from, code, enhanced, text);
    reply(code, enhanced, text);
  };
  switch (result.fault) {
    case DataFault::bare_cr_lf: co_return reject(554, "5.6.0", "Message rejected: bare CR or LF not allowed");
    case DataFault::nul: co_return reject(554, "5.6.0", "Message rejected: NUL character not allowed");
    case DataFault::line_too_long: co_return reject(500, "5.5.2", "Message rejected: line too long");
    case DataFault::too_big: co_return reject(552, "5.3.4", "Message size exceeds fixed limit");
    case DataFault::none: break;
  }
  if (result.sink_error) {
    log::warn("smtpd: DATA from [{}] not stored: {}", info_.peer_address, result.sink_error->reply());
    co_return reply(*result.sink_error);
  }
  auto id = co_await sink.commit();
  if (!id) {
    log::warn("smtpd: DATA from [{}] not committed: {}", info_.peer_address, id.error().reply());
    co_return reply(id.error());
  }
  log::info("{}: client=[{}], from=<{}>, nrcpt={}, size={}, tls={}, via={}{}", *id, info_.peer_address, from,
            envelope_->recipients.size(), result.size, info_.tls ? info_.tls_version : "no",
            chunking_.started ? "BDAT" : "DATA", envelope_->body_binary ? ", body=BINARYMIME" : "");
  reply(250, "2.0.0", "Ok: queued as " + *id);
}

}  // namespace sm::smtp
