// session_io.cpp - the session's I/O discipline: replies are queued and
// written only when the session is about to wait for input (RFC 2920
// pipelining: one write per pipelined batch); reads go into a fixed-size
// buffer; every read and write is bounded by command_timeout and the
// session by session_timeout, enforced by a watchdog that cancels the
// socket.
#include <algorithm>

#include "smtp/reply.h"
#include "smtp/session.h"

namespace sm::smtp {

void Session::reply(int code, std::string_view enhanced, std::string_view text) {
  out_ += format_reply(code, enhanced, text);
}

void Session::reply(const Error& error) { out_ += format_reply(error); }

// A bad command: answered and counted towards max_errors.
void Session::protocol_error(int code, std::string_view enhanced, std::string_view text) {
  reply(code, enhanced, text);
  ++errors_;
}

void Session::arm(Clock::duration timeout) {
  armed_at_ = Clock::now();
  auto d = std::min(armed_at_ + timeout, session_end_);
  bool earlier = d < deadline_;
  deadline_ = d;
  io_pending_ = true;
  if (earlier) timer_.cancel();  // wake the watchdog to wait for the nearer deadline
}

// Sleeps until the deadline; if I/O is pending then, cancels it. When the
// listener can come under stress it also wakes every stress timeout, so a
// session idling on the normal timeout is cut once stress begins.
asio::awaitable<void> Session::watchdog(std::shared_ptr<Session> /*keep_alive*/) {
  const Clock::duration stress_timeout = options_.limits.stress_command_timeout;
  while (!watchdog_done_) {
    auto wake = deadline_;
    if (options_.stress) wake = std::min(wake, Clock::now() + stress_timeout);
    timer_.expires_at(wake);
    std::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (watchdog_done_) break;
    if (io_pending_ && stressed() && Clock::now() - armed_at_ >= stress_timeout) {
      timed_out_ = true;
      std::error_code ignored;
      socket_.cancel(ignored);
      continue;
    }
    if (Clock::now() < deadline_) continue;  // re-armed meanwhile
    deadline_ = Clock::time_point::max();
    if (io_pending_) {
      timed_out_ = true;
      std::error_code ignored;
      socket_.cancel(ignored);
    }
  }
}

Session::Io Session::io_status(const std::error_code& ec) const {
  if (timed_out_) return Io::timeout;
  if (!ec) return Io::ok;
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return Io::eof;
  return Io::error;
}

asio::awaitable<Session::Io> Session::flush() {
  if (out_.empty() || closed_) co_return Io::ok;
  if (!stream_) co_return Io::error;  // a failed TLS handshake left nothing to write on
  std::error_code ec;
  arm(options_.limits.command_timeout);
  co_await stream_->write_all(asio::buffer(out_), ec);
  disarm();
  out_.clear();
  co_return io_status(ec);
}

// Wait for more input; first write whatever replies are pending, since the
// client may be waiting for them before it sends more.
asio::awaitable<Session::Io> Session::fill() {
  if (Io io = co_await flush(); io != Io::ok) co_return io;
  auto space = in_.prepare();
  if (space.size() == 0) co_return Io::error;  // callers consume before refilling
  std::error_code ec;
  arm(options_.limits.command_timeout);
  std::size_t n = co_await stream_->read_some(space, ec);
  disarm();
  if (Io io = io_status(ec); io != Io::ok) co_return io;
  in_.commit(n);
  co_return Io::ok;
}

// Next command line, never buffering more than max_line octets of it: an
// over-long line is skipped up to its LF and reported as too_long.
asio::awaitable<Session::Io> Session::read_command(std::string& line, LineStatus& status,
                                                   std::size_t limit) {
  const std::size_t max_line = std::max<std::size_t>(limit ? limit : options_.limits.max_line, 3);
  bool skipping = false;
  for (;;) {
    if (skipping) {
      auto view = in_.data();
      auto lf = view.find('\n');
      if (lf != std::string_view::npos) {
        in_.consume(lf + 1);
        status = LineStatus::too_long;
        co_return Io::ok;
      }
      in_.clear();
    } else {
      LineScan scan = scan_line(in_.data(), max_line);
      if (scan.status == LineStatus::too_long) {
        in_.consume(max_line);
        skipping = true;
        continue;
      }
      if (scan.status != LineStatus::need_more) {
        if (scan.status == LineStatus::ok) line.assign(scan.line);
        in_.consume(scan.consumed);
        status = scan.status;
        co_return Io::ok;
      }
    }
    if (Io io = co_await fill(); io != Io::ok) co_return io;
  }
}

}  // namespace sm::smtp
