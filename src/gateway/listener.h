// listener.h - one SMTP listener of the daemon: accepts connections,
// enforces the connection limits (per listener, per client address) and
// runs a session for each. The inbound listener keeps [limits]
// member_connections beyond max_connections for member gateways (the
// priority lane's door): a session in that reserve may only send once it
// has shown a member's TLS client certificate.
//
// Stress (Postfix's stress mode): while the sessions open reach 80% of
// max_connections, every session's waits for its client are cut to
// [limits] stress_command_timeout (idle ones included), so connections
// that only sit there cannot hold the listener; it ends below 60%.
// Refused connections are logged at most once a second per listener,
// with the number left unlogged.
#pragma once

#include <asio.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "config/config.h"
#include "gateway/receiver.h"
#include "smtp/server.h"

namespace sm::gateway {

// The handler of a session admitted into the member reserve: members
// only; anyone else is told to come back later (421 4.7.0 at MAIL).
class ReservedSlot : public smtp::TransactionHandler {
 public:
  explicit ReservedSlot(Receiver& receiver) : receiver_(receiver) {}
  Result<void> on_mail(const smtp::SessionInfo& s, const mail::Envelope& env) override;
  Result<void> on_rcpt(const smtp::SessionInfo& s, const mail::Envelope& env, const mail::Recipient& r) override {
    return receiver_.on_rcpt(s, env, r);
  }
  Result<std::unique_ptr<smtp::MessageSink>> on_data(const smtp::SessionInfo& s, const mail::Envelope& env) override {
    return receiver_.on_data(s, env);
  }

 private:
  Receiver& receiver_;
};

class Listener {
 public:
  // reserve: connections kept for member sessions beyond max_connections (0: none).
  Listener(asio::io_context& io, smtp::ServerOptions options, const config::Config::Limits& limits,
           Receiver& handler, std::uint64_t reserve)
      : Listener(io, std::move(options), limits, handler, handler, reserve) {}
  // handler answers the sessions (submission's own); receiver those in the member reserve.
  Listener(asio::io_context& io, smtp::ServerOptions options, const config::Config::Limits& limits,
           Receiver& receiver, smtp::TransactionHandler& handler, std::uint64_t reserve)
      : acceptor_(io), options_(std::move(options)), limits_(limits), handler_(handler), reserved_(receiver),
        reserve_(reserve), stress_(std::make_shared<std::atomic<bool>>(false)),
        closing_(std::make_shared<std::atomic<bool>>(false)) {
    options_.stress = stress_;
    options_.closing = closing_;
    options_.limits.stress_command_timeout = limits.stress_command_timeout;
  }

  // The bound address (port 0 asks the OS); the error names the listener.
  // After a reload the socket inherited for this address is adopted
  // instead (reload.h): clients waiting in its backlog are served.
  Result<asio::ip::tcp::endpoint> bind(const config::Endpoint& at);
  asio::awaitable<void> accept_loop();
  void close();
  // A reload: accept no more (the socket stays open, clients wait in its
  // backlog; an open session's next MAIL gets 421 4.3.2), then hand the
  // descriptor over with release().
  void stop_accepting();
  int release();
  const std::string& name() const { return options_.listener; }
  // Told the client's address of every connection accepted (the
  // certification facility's listeners record them).
  void on_accept(std::function<void(const std::string& ip)> seen) { accepted_ = std::move(seen); }
  std::size_t open_sessions() const { return open_; }

 private:
  asio::awaitable<void> session(asio::ip::tcp::socket socket, std::string ip, bool reserved);
  void refuse(asio::ip::tcp::socket socket, const std::string& ip);
  void update_stress();

  asio::ip::tcp::acceptor acceptor_;
  smtp::ServerOptions options_;
  const config::Config::Limits& limits_;
  smtp::TransactionHandler& handler_;
  ReservedSlot reserved_;
  std::uint64_t reserve_ = 0;
  std::size_t open_ = 0;
  std::function<void(const std::string&)> accepted_;
  std::map<std::string, std::size_t> per_ip_;
  std::shared_ptr<std::atomic<bool>> stress_;
  std::shared_ptr<std::atomic<bool>> closing_;
  std::chrono::steady_clock::time_point last_refusal_log_{};
  std::size_t refusals_unlogged_ = 0;
  bool accepting_ = true;
};

}  // namespace sm::gateway
