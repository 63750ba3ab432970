// smtp_client_conn.h - internal to the SMTP client (smtp_client.cpp,
// smtp_connect.cpp, smtp_transfer.cpp): the connection with its watchdog
// timer, a reply as the client keeps it, and the helpers all three share.
#pragma once

#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "delivery/smtp_client.h"

namespace sm::delivery {

inline constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// One TCP (maybe TLS) connection with its watchdog timer. Held by
// shared_ptr so a late timer callback can tell the connection is gone.
struct SmtpClient::Conn {
  Conn(asio::any_io_executor ex, asio::ssl::context& ctx) : stream(ex, ctx), timer(ex) {}
  asio::ssl::stream<asio::ip::tcp::socket> stream;
  asio::steady_timer timer;
  std::uint64_t generation = 0;
  bool timed_out = false;
  bool tls = false;
  bool open = false;
  std::string inbuf;
};

struct SmtpClient::Reply : ServerReply {  // text '\n'-separated until flatten()
  std::string line() const {
    return std::to_string(code) + (enhanced.empty() ? "" : " " + enhanced) + (text.empty() ? "" : " " + text);
  }
};

namespace client_detail {

// Arm the watchdog: when it fires first, the socket is closed and the
// pending operation completes with an error.
void arm(const std::shared_ptr<SmtpClient::Conn>& c, std::chrono::milliseconds d);
void disarm(const std::shared_ptr<SmtpClient::Conn>& c);
// A multi-line reply's text on one line, bounded for error messages.
void flatten(SmtpClient::Reply& r);

}  // namespace client_detail
}  // namespace sm::delivery
