// smtp_connect.cpp - setting up the client's session (see smtp_client.h):
// the next hop's addresses (MX or configured host), connect with its
// time-out, the greeting, EHLO/LHLO with the HELO fallback, STARTTLS with
// the retry in clear when it fails (unless TLS is required), the
// certificate pins of member gateways, and QUIT.
#include <asio/connect.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <optional>

#include "delivery/smtp_client_conn.h"
#include "net/tls.h"
#include "util/log.h"

namespace sm::delivery {

using client_detail::arm;
using client_detail::disarm;
using client_detail::flatten;

namespace {

std::string label(const std::string& host, const asio::ip::tcp::endpoint& ep) {
  std::string a = ep.address().to_string();
  std::string port = ":" + std::to_string(ep.port());
  if (host == a || host.empty()) return (ep.address().is_v6() ? "[" + a + "]" : a) + port;
  return host + "[" + a + "]" + port;
}

}  // namespace

asio::awaitable<Result<void>> SmtpClient::hello() {
  caps_ = ServerCapabilities{};
  std::string ehlo = std::string(lmtp_ ? "LHLO " : "EHLO ") + opts_.helo_name + "\r\n";
  auto r = co_await command(ehlo, lmtp_ ? "LHLO" : "EHLO");
  if (!r) co_return std::unexpected(r.error());
  if (r->code / 100 == 2) {
    caps_ = parse_capabilities(r->text);
    co_return Result<void>{};
  }
  flatten(*r);
  if (lmtp_ || r->code == 421) co_return std::unexpected(remote_error(*r, lmtp_ ? "LHLO" : "EHLO"));
  std::string helo = "HELO " + opts_.helo_name + "\r\n";
  auto h = co_await command(helo, "HELO");
  if (!h) co_return std::unexpected(h.error());
  flatten(*h);
  if (h->code / 100 != 2) co_return std::unexpected(remote_error(*h, "HELO"));
  co_return Result<void>{};
}

asio::awaitable<Result<std::vector<asio::ip::tcp::endpoint>>> SmtpClient::addresses(std::string host,
                                                                                   std::uint16_t port) {
  using Eps = std::vector<asio::ip::tcp::endpoint>;
  asio::ip::address literal;
  if (net::parse_ip_literal(host, literal)) co_return Eps{asio::ip::tcp::endpoint(literal, port)};
  if (resolver_) {
    auto r = co_await resolver_->resolve_address(host, port);
    co_return r;
  }
  asio::ip::tcp::resolver res(executor_);
  std::string service = std::to_string(port);
  auto [ec, results] = co_await res.async_resolve(host, service, use_tuple);
  if (ec == asio::error::host_not_found) co_return fail(550, "5.4.4", "host not found: " + host);
  if (ec) co_return fail(451, "4.4.3", "cannot resolve " + host + ": " + ec.message());
  Eps eps;
  for (const auto& e : results) eps.push_back(e.endpoint());
  co_return eps;
}

asio::awaitable<Result<void>> SmtpClient::try_address(std::string host, asio::ip::tcp::endpoint ep,
                                                      bool allow_tls, bool& tls_failed) {
  close();
  tls_failed = false;
  peer_ = label(host, ep);
  caps_ = ServerCapabilities{};
  conn_ = std::make_shared<Conn>(executor_, *opts_.tls);
  auto c = conn_;
  std::error_code ec;
  c->stream.next_layer().open(ep.protocol(), ec);
  if (ec) {
    close();
    co_return fail(451, "4.4.1", "connect to " + peer_ + ": " + ec.message());
  }
  c->open = true;
  arm(c, opts_.connect_timeout);
  auto [cec] = co_await c->stream.next_layer().async_connect(ep, use_tuple);
  disarm(c);
  if (cec) {
    bool timed_out = c->timed_out;
    close();
    co_return fail(451, "4.4.1", "connect to " + peer_ + ": " +
                                     (timed_out ? std::string("Connection timed out") : cec.message()));
  }
  asio::ip::tcp::no_delay nd(true);
  c->stream.next_layer().set_option(nd, ec);

  auto greeting_timeout = opts_.greeting_timeout.count() > 0 ? opts_.greeting_timeout : opts_.command_timeout;
  auto greet = co_await read_reply(greeting_timeout, "receiving the initial server greeting");
  if (!greet) co_return std::unexpected(greet.error());
  flatten(*greet);
  if (greet->code != 220) {
    Error e = remote_error(*greet, "initial greeting");
    e.text = "host " + peer_ + " refused to talk to me: " + greet->line();
    std::string quit = "QUIT\r\n";
    co_await write(quit, std::chrono::milliseconds(2000), "sending QUIT");
    close();
    co_return std::unexpected(e);
  }
  if (auto h = co_await hello(); !h) {
    close();
    co_return h;
  }

  bool want_tls = allow_tls && opts_.starttls && caps_.starttls;
  if (want_tls) {
    auto st = co_await command("STARTTLS\r\n", "STARTTLS");
    if (!st) co_return std::unexpected(st.error());
    flatten(*st);
    if (st->code == 220) {
      asio::ip::address dummy;
      if (!net::parse_ip_literal(host, dummy)) {
        SSL_set_tlsext_host_name(c->stream.native_handle(), host.c_str());
        if (opts_.verify_tls_name) c->stream.set_verify_callback(asio::ssl::host_name_verification(host));
      }
      if (!c->inbuf.empty()) {  // pipelined data before TLS: RFC 3207 5, a protocol violation
        close();
        tls_failed = true;
        co_return fail(451, "4.7.5", "TLS handshake with " + peer_ + " failed: server sent data after 220 to STARTTLS");
      }
      arm(c, opts_.command_timeout);
      auto [hec] = co_await c->stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
      disarm(c);
      if (hec) {
        std::string why = c->timed_out ? std::string("timed out") : hec.message();
        close();
        tls_failed = true;
        co_return fail(451, "4.7.5", "TLS handshake with " + peer_ + " failed: " + why);
      }
      c->tls = true;
      if (auto pinned = check_pin(); !pinned) {
        log::warn("{}", pinned.error().text);
        close();
        co_return pinned;
      }
      log::debug("TLS connection established to {}: {}", peer_, tls_description());
      if (auto h = co_await hello(); !h) {
        close();
        co_return h;
      }
    } else if (st->code == 421) {
      Error e = remote_error(*st, "STARTTLS");
      close();
      co_return std::unexpected(e);
    } else if (opts_.require_tls) {
      Error e = remote_error(*st, "STARTTLS");
      e.code = 451;
      e.enhanced = "4.7.4";
      close();
      co_return std::unexpected(e);
    }
    // else: STARTTLS refused; opportunistic, carry on in clear.
  }
  if (opts_.require_tls && !c->tls) {
    close();
    co_return fail(451, "4.7.4", "TLS is required, but was not offered by host " + peer_);
  }
  co_return Result<void>{};
}

Result<void> SmtpClient::check_pin() const {
  if (opts_.pinned_sha256.empty()) return {};
  std::string seen = net::peer_certificate_sha256(conn_->stream.native_handle());
  if (seen.empty()) {
    return fail(451, "4.7.5", "TLS certificate of host " + peer_ +
                                  " does not match the directory entry: it presented none");
  }
  const auto& pins = opts_.pinned_sha256;
  if (std::find(pins.begin(), pins.end(), seen) != pins.end()) return {};
  return fail(451, "4.7.5", "TLS certificate of host " + peer_ +
                                " does not match the directory entry (sha256 " + seen.substr(0, 16) +
                                "...)");
}

asio::awaitable<Result<void>> SmtpClient::connect() {
  if (connected()) co_return Result<void>{};
  if (hop_.kind == NextHop::Kind::maildir) co_return local_error("SMTP client given a maildir next hop");
  connecting_ = true;
  aborted_ = false;
  auto r = co_await connect_to_targets();
  connecting_ = false;
  if (aborted_) {
    close();
    co_return fail(451, "4.3.2", "delivery to " + hop_.to_string() + " stopped: the gateway is shutting down");
  }
  co_return r;
}

void SmtpClient::abort_connect() {
  if (!connecting_) return;
  aborted_ = true;
  // The pending connect or read completes with an error; connect_to_targets
  // sees aborted_ before its next address.
  if (conn_) {
    std::error_code ignored;
    conn_->stream.lowest_layer().close(ignored);
  }
}

asio::awaitable<Result<void>> SmtpClient::connect_to_targets() {

  struct Target {
    std::string host;
    std::uint16_t port;
  };
  std::vector<Target> targets;
  if (hop_.kind == NextHop::Kind::mx) {
    if (!resolver_) co_return local_error("no DNS resolver for MX delivery to " + hop_.host);
    auto mx = co_await resolver_->resolve_mx(hop_.host);
    if (!mx) co_return std::unexpected(mx.error());
    for (const auto& m : *mx) targets.push_back(Target{m.host, hop_.port});
  } else {
    targets.push_back(Target{hop_.host, hop_.port});
  }

  std::optional<Error> last;
  bool only_lookup_failures = true, lookup_permanent = true;
  std::size_t tried = 0;
  for (const auto& t : targets) {
    if (tried >= opts_.max_addresses || aborted_) break;
    auto eps = co_await addresses(t.host, t.port);
    if (!eps) {
      log::warn("{}: {}", hop_.to_string(), eps.error().text);
      if (!eps.error().permanent()) lookup_permanent = false;
      last = eps.error();
      continue;
    }
    only_lookup_failures = false;
    for (const auto& ep : *eps) {
      if (tried++ >= opts_.max_addresses || aborted_) break;
      bool tls_failed = false;
      auto r = co_await try_address(t.host, ep, true, tls_failed);
      if (!r && tls_failed && !opts_.require_tls && !aborted_) {
        log::warn("{}; retrying without TLS", r.error().text);
        r = co_await try_address(t.host, ep, false, tls_failed);
      }
      if (r) {
        log::debug("connected to {} ({})", peer_, tls_active() ? tls_description() : "no TLS");
        co_return r;
      }
      log::info("{}: {}", hop_.to_string(), r.error().text);
      last = r.error();
    }
  }
  if (!last) co_return fail(451, "4.4.1", "no addresses to try for " + hop_.to_string());
  // A configured relay that does not resolve is a configuration problem:
  // keep the mail. For MX delivery, a destination none of whose hosts
  // exists is permanent (as Postfix bounces "host not found").
  if (only_lookup_failures && lookup_permanent && hop_.kind == NextHop::Kind::mx) co_return std::unexpected(*last);
  if (last->permanent() && only_lookup_failures) {
    last->code = 451;
    last->enhanced = "4.4.4";
  }
  co_return std::unexpected(*last);
}

asio::awaitable<void> SmtpClient::quit() {
  if (connected()) {
    std::string q = "QUIT\r\n";
    auto w = co_await write(q, opts_.command_timeout, "sending QUIT");
    if (w) co_await read_reply(std::min(opts_.command_timeout, std::chrono::milliseconds(10'000)),
                               "receiving reply to QUIT");
  }
  close();
}

}  // namespace sm::delivery
