// stream.h - the byte stream a session talks over, so the session is
// written once for plain TCP and for TLS after STARTTLS. Errors are
// returned through ec (never thrown).
#pragma once

#include <asio.hpp>

#include <cstddef>
#include <system_error>

namespace sm::smtp {

class Stream {
 public:
  virtual ~Stream() = default;
  virtual asio::awaitable<std::size_t> read_some(asio::mutable_buffer buf, std::error_code& ec) = 0;
  virtual asio::awaitable<void> write_all(asio::const_buffer buf, std::error_code& ec) = 0;
};

// Adapts any Asio AsyncReadStream/AsyncWriteStream held by reference
// (tcp::socket, ssl::stream<tcp::socket&>).
template <class S>
class StreamRef final : public Stream {
 public:
  explicit StreamRef(S& s) : s_(s) {}
  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buf, std::error_code& ec) override {
    co_return co_await s_.async_read_some(buf, asio::redirect_error(asio::use_awaitable, ec));
  }
  asio::awaitable<void> write_all(asio::const_buffer buf, std::error_code& ec) override {
    co_await asio::async_write(s_, buf, asio::redirect_error(asio::use_awaitable, ec));
  }

 private:
  S& s_;
};

}  // namespace sm::smtp
