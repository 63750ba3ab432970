// listener.cpp - accepting, connection limits, the member reserve.
#include "gateway/listener.h"

#include <algorithm>

#include "gateway/reload.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

using asio::ip::tcp;

metrics::Counter sessions_total("securemail_smtp_sessions_total", "SMTP sessions accepted");
metrics::Counter sessions_refused_total("securemail_smtp_sessions_refused_total",
                                        "SMTP connections refused by connection limits");
metrics::Counter sessions_open("securemail_smtp_sessions", "SMTP sessions open now", true);
metrics::Counter stress_gauge("securemail_smtp_stress", "Listeners under stress now (short time-outs)", true);

}  // namespace

Result<void> ReservedSlot::on_mail(const smtp::SessionInfo& s, const mail::Envelope& env) {
  if (!receiver_.member_session(s)) {
    sessions_refused_total.add();
    return fail(421, "4.7.0", "Too many connections; the remaining ones are kept for member gateways, try again later");
  }
  return receiver_.on_mail(s, env);
}

Result<tcp::endpoint> Listener::bind(const config::Endpoint& at) {
  std::error_code ec;
  auto addr = asio::ip::make_address(at.host == "localhost" ? "127.0.0.1" : at.host, ec);
  if (ec) return local_error("listen." + options_.listener + ": not an IP address: " + at.host);
  tcp::endpoint ep(addr, at.port);
  if (auto fd = reload::claim_listener(options_.listener, ep)) {
    acceptor_.assign(ep.protocol(), *fd, ec);
    if (ec) return local_error("listen." + options_.listener + ": cannot adopt the socket kept across the reload: " +
                               ec.message());
    log::info("{} listener: kept its socket across the reload", options_.listener);
    return acceptor_.local_endpoint();
  }
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return local_error("listen." + options_.listener + ": cannot listen on " + at.str() + ": " + ec.message());
  return acceptor_.local_endpoint();
}

asio::awaitable<void> Listener::accept_loop() {
  while (accepting_) {
    std::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      log::warn("{} listener: accept: {}", options_.listener, ec.message());
      continue;
    }
    std::string ip = socket.remote_endpoint(ec).address().to_string();
    if (accepted_) accepted_(ip);
    // Replies are small and complete: send each at once (no Nagle delay).
    socket.set_option(tcp::no_delay(true), ec);
    if (open_ >= limits_.max_connections + reserve_ || per_ip_[ip] >= limits_.max_connections_per_ip) {
      refuse(std::move(socket), ip);
      continue;
    }
    bool reserved = open_ >= limits_.max_connections;
    ++open_;
    ++per_ip_[ip];
    update_stress();
    sessions_total.add();
    sessions_open.add();
    asio::co_spawn(acceptor_.get_executor(), session(std::move(socket), ip, reserved), asio::detached);
  }
}

void Listener::close() {
  std::error_code ec;
  acceptor_.close(ec);
}

void Listener::stop_accepting() {
  accepting_ = false;
  closing_->store(true);
  std::error_code ec;
  acceptor_.cancel(ec);
}

int Listener::release() {
  std::error_code ec;
  return acceptor_.is_open() ? acceptor_.release(ec) : -1;
}

asio::awaitable<void> Listener::session(tcp::socket socket, std::string ip, bool reserved) {
  if (reserved) co_await smtp::serve_session(std::move(socket), options_, reserved_);
  else co_await smtp::serve_session(std::move(socket), options_, handler_);
  --open_;
  if (--per_ip_[ip] == 0) per_ip_.erase(ip);
  sessions_open.add(-1);
  update_stress();
}

void Listener::update_stress() {
  const std::size_t on = std::max<std::size_t>(1, limits_.max_connections * 8 / 10);
  const std::size_t off = limits_.max_connections * 6 / 10;
  bool was = stress_->load();
  if (!was && open_ >= on) {
    stress_->store(true);
    stress_gauge.add(1);
    log::warn("{} listener: under stress ({} sessions, limit {}): client time-outs cut to {} s", options_.listener,
              open_, limits_.max_connections, limits_.stress_command_timeout.count());
  } else if (was && open_ < off) {
    stress_->store(false);
    stress_gauge.add(-1);
    log::info("{} listener: stress over ({} sessions)", options_.listener, open_);
  }
}

void Listener::refuse(tcp::socket socket, const std::string& ip) {
  sessions_refused_total.add();
  auto now = std::chrono::steady_clock::now();
  if (now - last_refusal_log_ >= std::chrono::seconds(1)) {
    log::warn("{} listener: too many connections, refusing {}{}", options_.listener, ip,
              refusals_unlogged_ ? " (and " + std::to_string(refusals_unlogged_) + " more not logged)" : "");
    last_refusal_log_ = now;
    refusals_unlogged_ = 0;
  } else {
    ++refusals_unlogged_;
  }
  auto s = std::make_shared<tcp::socket>(std::move(socket));
  static const std::string reply = "421 4.7.0 Too many connections, try again later\r\n";
  asio::async_write(*s, asio::buffer(reply), [s](std::error_code, std::size_t) {
    std::error_code ec;
    s->shutdown(tcp::socket::shutdown_both, ec);
  });
}

}  // namespace sm::gateway
