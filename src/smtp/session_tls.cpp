// session_tls.cpp - STARTTLS (RFC 3207). After "220 2.0.0 Ready to start
// TLS" every octet the client sent before the handshake is thrown away
// (STARTTLS command injection, CVE-2011-0411 and its 2021 relatives), and
// all state learned in the clear (HELO/EHLO, transaction) is forgotten.
// The fingerprint of a client certificate, if one was shown, goes into
// SessionInfo unverified: which ones mean anything is the handler's call.
// Implicit TLS (RFC 8314) uses the same handshake before the greeting.
#include <openssl/ssl.h>

#include "net/tls.h"
#include "smtp/reply.h"
#include "smtp/session.h"
#include "util/log.h"

namespace sm::smtp {

asio::awaitable<Session::Io> Session::do_starttls() {
  if (!options_.tls) {
    protocol_error(502, "5.5.1", "Error: command not implemented");
    co_return Io::ok;
  }
  if (info_.tls) {
    protocol_error(503, "5.5.1", "Error: TLS already active");
    co_return Io::ok;
  }
  if (envelope_) {
    protocol_error(503, "5.5.1", "Error: MAIL transaction in progress");
    co_return Io::ok;
  }
  reply(220, "2.0.0", "Ready to start TLS");
  if (Io io = co_await flush(); io != Io::ok) co_return io;
  in_.clear();  // the injection defence: nothing pipelined in the clear survives

  if (Io io = co_await tls_handshake(); io != Io::ok) co_return io;
  info_.helo.clear();
  esmtp_ = false;
  reset_transaction();
  co_return Io::ok;
}

// The server side of the handshake; on success the session speaks TLS.
asio::awaitable<Session::Io> Session::tls_handshake() {
  tls_stream_.emplace(socket_, *options_.tls);
  std::error_code ec;
  arm(options_.limits.command_timeout);
  co_await tls_stream_->async_handshake(asio::ssl::stream_base::server,
                                        asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (Io io = io_status(ec); io != Io::ok) {
    if (io != Io::timeout)
      log::warn("smtpd: TLS handshake with [{}] failed: {}", info_.peer_address, ec.message());
    stream_.reset();
    co_return io == Io::timeout ? io : Io::error;
  }
  stream_ = std::make_unique<StreamRef<asio::ssl::stream<asio::ip::tcp::socket&>>>(*tls_stream_);
  SSL* ssl = tls_stream_->native_handle();
  info_.tls = true;
  info_.tls_version = SSL_get_version(ssl);
  info_.tls_cipher = SSL_get_cipher_name(ssl);
  info_.peer_cert_sha256 = net::peer_certificate_sha256(ssl);  // unverified; the handler judges it
  log::info("smtpd: TLS from [{}]: {} {}{}", info_.peer_address, info_.tls_version, info_.tls_cipher,
            info_.peer_cert_sha256.empty() ? "" : " client certificate sha256 " + info_.peer_cert_sha256);
  co_return Io::ok;
}

// Orderly TLS close after QUIT (send close_notify), bounded by a short time.
asio::awaitable<void> Session::tls_shutdown() {
  if (!info_.tls || !tls_stream_ || closed_) co_return;
  session_end_ = std::min(session_end_, Clock::now() + std::chrono::seconds(2));
  std::error_code ec;
  arm(std::chrono::seconds(2));
  co_await tls_stream_->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  disarm();
}

}  // namespace sm::smtp
