// smtp_session_harness.h - what the SMTP server session tests share:
// serve_session on real loopback sockets with a recording fake
// TransactionHandler / MessageSink, and a client whose every operation
// gives up after a time-out (plain or TLS). Used by smtp_session_test.cpp
// (DATA, limits, STARTTLS) and smtp_bdat_test.cpp (RFC 3030 CHUNKING).
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "smtp/server.h"

namespace smtp_test {

using namespace std::chrono_literals;
using asio::ip::tcp;

struct Recorded {
  std::vector<sm::mail::Envelope> mails;       // on_mail
  std::vector<sm::mail::Recipient> rcpts;      // on_rcpt
  std::vector<std::string> verified;           // verify_rcpt, in the order they finished
  std::vector<sm::mail::Envelope> data_envs;   // on_data
  std::vector<sm::smtp::SessionInfo> data_infos;
  std::vector<std::string> committed;          // bodies of committed messages
  std::vector<std::size_t> chunk_sizes;        // every write() size
  int discarded = 0;                           // sinks dropped without commit
};

class FakeHandler;

class FakeSink : public sm::smtp::MessageSink {
 public:
  explicit FakeSink(FakeHandler& h) : h_(h) {}
  ~FakeSink() override;
  sm::Result<void> write(std::string_view chunk) override;
  asio::awaitable<sm::Result<std::string>> commit() override;

 private:
  FakeHandler& h_;
  std::string body_;
  bool committed_ = false;
};

class FakeHandler : public sm::smtp::TransactionHandler {
 public:
  std::mutex mutex;
  Recorded rec;
  // Optional policies; return an Error to reject.
  std::function<sm::Result<void>(const sm::mail::Envelope&)> mail_policy;
  std::function<sm::Result<void>(const sm::mail::Recipient&)> rcpt_policy;
  std::optional<sm::Error> data_error, write_error, commit_error;
  // verify_rcpt: waits this long (on a timer, the session's strand free),
  // then refuses what verify_refusal says.
  std::chrono::milliseconds verify_delay{0};
  std::function<sm::Result<void>(const sm::mail::Recipient&)> verify_refusal;
  int next_id = 1;

  Recorded snapshot() {
    std::lock_guard lock(mutex);
    return rec;
  }
  sm::Result<void> on_mail(const sm::smtp::SessionInfo&, const sm::mail::Envelope& env) override {
    std::lock_guard lock(mutex);
    rec.mails.push_back(env);
    return mail_policy ? mail_policy(env) : sm::Result<void>{};
  }
  sm::Result<void> on_rcpt(const sm::smtp::SessionInfo&, const sm::mail::Envelope&,
                           const sm::mail::Recipient& r) override {
    std::lock_guard lock(mutex);
    rec.rcpts.push_back(r);
    return rcpt_policy ? rcpt_policy(r) : sm::Result<void>{};
  }
  asio::awaitable<sm::Result<void>> verify_rcpt(const sm::smtp::SessionInfo&, const sm::mail::Envelope&,
                                                const sm::mail::Recipient& r) override {
    if (verify_delay.count() > 0) {
      asio::steady_timer wait(co_await asio::this_coro::executor, verify_delay);
      co_await wait.async_wait(asio::use_awaitable);
    }
    std::lock_guard lock(mutex);
    rec.verified.push_back(r.address);
    co_return verify_refusal ? verify_refusal(r) : sm::Result<void>{};
  }
  sm::Result<std::unique_ptr<sm::smtp::MessageSink>> on_data(const sm::smtp::SessionInfo& info,
                                                             const sm::mail::Envelope& env) override {
    std::lock_guard lock(mutex);
    rec.data_envs.push_back(env);
    rec.data_infos.push_back(info);
    if (data_error) return std::unexpected(*data_error);
    return std::make_unique<FakeSink>(*this);
  }
};

inline FakeSink::~FakeSink() {
  if (committed_) return;
  std::lock_guard lock(h_.mutex);
  ++h_.rec.discarded;
}

inline sm::Result<void> FakeSink::write(std::string_view chunk) {
  std::lock_guard lock(h_.mutex);
  h_.rec.chunk_sizes.push_back(chunk.size());
  if (h_.write_error) return std::unexpected(*h_.write_error);
  body_.append(chunk);
  return {};
}

inline asio::awaitable<sm::Result<std::string>> FakeSink::commit() {
  std::lock_guard lock(h_.mutex);
  if (h_.commit_error) co_return std::unexpected(*h_.commit_error);
  committed_ = true;
  h_.rec.committed.push_back(body_);
  co_return "ID" + std::to_string(h_.next_id++);
}

// serve_session on every accepted loopback connection.
class Server {
 public:
  Server(sm::smtp::ServerOptions options, sm::smtp::TransactionHandler& handler)
      : options_(std::move(options)), handler_(handler),
        acceptor_(ctx_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    asio::co_spawn(ctx_, accept_loop(), asio::detached);
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ctx_.run(); });
  }
  ~Server() {
    ctx_.stop();
    for (auto& t : threads_) t.join();
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  int finished() const { return finished_; }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
      asio::co_spawn(ctx_, run_one(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> run_one(tcp::socket socket) {
    co_await sm::smtp::serve_session(std::move(socket), options_, handler_);
    ++finished_;
  }

  sm::smtp::ServerOptions options_;
  sm::smtp::TransactionHandler& handler_;
  asio::io_context ctx_{2};
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::atomic<int> finished_{0};
};

// A client whose every operation gives up after `timeout`.
class Client {
 public:
  explicit Client(unsigned short port, std::chrono::milliseconds timeout = 5s)
      : socket_(io_), timeout_(timeout) {
    socket_.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
    socket_.set_option(tcp::no_delay(true));
  }

  void send(std::string_view data) {
    std::error_code result = asio::error::timed_out;
    auto done = [&](std::error_code ec, std::size_t) { result = ec; };
    if (tls_) asio::async_write(*tls_, asio::buffer(data), done);
    else asio::async_write(socket_, asio::buffer(data), done);
    if (!run()) result = asio::error::timed_out;
    if (result) throw std::runtime_error("send: " + result.message());
  }

  // One read_some; "" on EOF; throws on time-out unless allow_timeout.
  std::string read_some(bool allow_timeout = false) {
    char buf[65536];
    std::error_code result = asio::error::timed_out;
    std::size_t n = 0;
    auto done = [&](std::error_code ec, std::size_t k) { result = ec; n = k; };
    if (tls_) tls_->async_read_some(asio::buffer(buf), done);
    else socket_.async_read_some(asio::buffer(buf), done);
    if (!run()) result = asio::error::timed_out;
    if (result == asio::error::timed_out && allow_timeout) return "<timeout>";
    if (result == asio::error::eof || result == asio::ssl::error::stream_truncated) return "";
    if (result) throw std::runtime_error("read: " + result.message());
    return std::string(buf, n);
  }

  // One complete (possibly multi-line) reply; "" on EOF.
  std::string reply() {
    std::string out;
    for (;;) {
      auto lf = pending_.find("\r\n");
      if (lf == std::string::npos) {
        std::string more = read_some();
        if (more.empty()) return out;
        pending_ += more;
        continue;
      }
      std::string line = pending_.substr(0, lf + 2);
      pending_.erase(0, lf + 2);
      out += line;
      if (line.size() < 4 || line[3] != '-') return out;
    }
  }

  // True if the server closes the connection within the time-out.
  bool closed() {
    if (!pending_.empty()) return false;
    std::string more = read_some(true);
    if (more == "<timeout>") return false;
    pending_ += more;
    return more.empty();
  }

  // True if nothing at all arrives for `quiet` (the server is still waiting).
  bool quiet_for(std::chrono::milliseconds quiet) {
    auto saved = timeout_;
    timeout_ = quiet;
    std::string more = read_some(true);
    timeout_ = saved;
    if (more == "<timeout>") return true;
    pending_ += more;
    return false;
  }

  void start_tls(asio::ssl::context& ctx) {
    tls_.emplace(socket_, ctx);
    std::error_code result = asio::error::timed_out;
    tls_->async_handshake(asio::ssl::stream_base::client, [&](std::error_code ec) { result = ec; });
    if (!run()) result = asio::error::timed_out;
    if (result) throw std::runtime_error("handshake: " + result.message());
  }

 private:
  // Run the pending operation; false if it timed out (then it is cancelled).
  bool run() {
    io_.restart();
    io_.run_for(timeout_);
    if (io_.stopped()) return true;
    std::error_code ignored;
    socket_.cancel(ignored);
    io_.restart();
    io_.run();
    return false;
  }

  asio::io_context io_;
  tcp::socket socket_;
  std::optional<asio::ssl::stream<tcp::socket&>> tls_;
  std::chrono::milliseconds timeout_;
  std::string pending_;
};

}  // namespace smtp_test
