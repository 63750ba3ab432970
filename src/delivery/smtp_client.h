// smtp_client.h - the outbound SMTP (RFC 5321) and LMTP (RFC 2033) client:
// one session to one next hop, carrying one or more messages, as an Asio
// coroutine. What Postfix's smtp(8)/lmtp(8) do for one connection:
//
//   connect   mx: MX lookup, then each host in preference order, each of its
//             addresses (bounded by ClientOptions::max_addresses);
//             smtp/lmtp: the configured host:port. Each try has a connect
//             time-out; a non-220 greeting moves on to the next address.
//   hello     EHLO (LHLO for LMTP), HELO if EHLO is rejected (SMTP only).
//   STARTTLS  when offered (opportunistic). If the handshake fails the
//             connection is closed and the same address retried in clear,
//             and a warning is logged; with require_tls it fails instead.
//             With pinned_sha256 TLS is required and, right after the
//             handshake and before anything else is said, the server's
//             certificate must be one of the pins (else 4.7.5, next address).
//   send      MAIL/RCPT, pipelined when offered; SIZE=, BODY=8BITMIME,
//             BODY=BINARYMIME, SMTPUTF8 and the RFC 3461 DSN parameters
//             when offered; the body streamed from the queue file: with
//             BDAT chunks as stored when the server offers CHUNKING (RFC
//             3030), else DATA, dot-stuffed; a binary body only to a
//             BINARYMIME peer, or our sealed copy converted to base64 on
//             the way (smtp_transfer.cpp); RSET before each further message
//             on the same connection (and a new connection if that RSET
//             finds the old one dead).
//
// Files: smtp_client.cpp (I/O, commands, send), smtp_connect.cpp (connect,
// EHLO, STARTTLS, pins), smtp_transfer.cpp (the mail transaction),
// smtp_callout.cpp (a recipient asked about without a message).
//   quit      QUIT and close.
//
// Outcomes are per recipient. Remote replies keep their code and enhanced
// status ("550 5.1.1 host mx.example[192.0.2.1]:25 said: unknown user (in
// reply to RCPT TO command)"); connection-level trouble (refused, time-out,
// 421, lost connection, TLS failure) is a temporary error for every
// recipient still open, and names the host.
//
// Threading: an SmtpClient belongs to one executor (use a strand on a
// multi-threaded io_context) and runs one operation at a time; never call
// send() again before the previous one completed.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/reply_reader.h"  // ServerCapabilities
#include "delivery/transport.h"
#include "mail/envelope.h"
#include "net/dns.h"
#include "net/tls.h"  // ClientOptions::tls; callers build contexts with it
#include "util/error.h"

namespace sm::delivery {

class WireBody;

struct ClientOptions {
  std::string helo_name = "localhost";          // our name in EHLO/LHLO/HELO
  std::chrono::milliseconds connect_timeout{30'000};
  std::chrono::milliseconds command_timeout{300'000};  // each command reply (and the greeting, unless below)
  std::chrono::milliseconds greeting_timeout{0};       // the 220 greeting; 0: command_timeout
  std::chrono::milliseconds data_timeout{600'000};     // each body write and the end-of-DATA reply
  bool starttls = true;                          // use STARTTLS when the server offers it
  bool require_tls = false;                      // never send in clear (temporary failure instead)
  bool verify_tls_name = false;                  // check the certificate names the host (needs a verifying context)
  std::shared_ptr<asio::ssl::context> tls;       // null: net::client_tls_context()
  std::size_t max_addresses = 5;                 // addresses tried per connect (Postfix smtp_mx_address_limit)
  // Certificate pinning for member gateways: when not empty, the server's
  // certificate SHA-256 fingerprint (lower-case hex, no colons) must be one
  // of these, else the connection fails with a temporary 4.7.5 error naming
  // the host (and is never retried in clear). Implies require_tls.
  std::vector<std::string> pinned_sha256;
};

class SmtpClient {
 public:
  // `hop` must be mx (hop.host = the recipient domain), smtp or lmtp.
  // `resolver` is required for mx and for host names; may be null when the
  // host is an IP literal (names then go through the system resolver).
  SmtpClient(asio::any_io_executor executor, NextHop hop, ClientOptions options,
             std::shared_ptr<net::Resolver> resolver);
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // Open the session (greeting, hello, STARTTLS). send() calls it when
  // needed; calling it first lets the caller learn about connection
  // failures before picking messages. No-op when already connected.
  asio::awaitable<Result<void>> connect();

  // Deliver one message to env.recipients[i] for each i in
  // `recipient_indexes`. Returns one outcome per index, in the same order.
  asio::awaitable<std::vector<RecipientOutcome>> send(const mail::Envelope& env,
                                                      const std::vector<std::size_t>& recipient_indexes,
                                                      const StoredMessage& message);

  // Give up a connect() in progress at once (the gateway is stopping): it
  // completes with a temporary error and tries no further address. A
  // session already established is left alone.
  void abort_connect();

  // Does the server take `address` as a recipient? Asked without sending a
  // message (a callout, as Postfix's verify(8) probes): MAIL FROM:<>, RCPT
  // TO, RSET, on the session connect() opens (smtp_callout.cpp). Ok when
  // RCPT got 2xx; else the reply or the connection trouble as send() gives
  // them (permanent: the server refuses the mailbox; temporary: no answer).
  asio::awaitable<Result<void>> probe_recipient(const std::string& address);

  // QUIT (best effort) and close. The client may connect() again later.
  asio::awaitable<void> quit();

  bool connected() const;
  // "mx.example.com[192.0.2.1]:25" of the current/last connection.
  const std::string& peer() const { return peer_; }
  bool tls_active() const;
  // "TLSv1.3 TLS_AES_256_GCM_SHA384" when tls_active().
  std::string tls_description() const;
  const ServerCapabilities& capabilities() const { return caps_; }
  const NextHop& next_hop() const { return hop_; }
  std::size_t messages_sent() const { return messages_; }

  struct Conn;
  struct Reply;

 private:
  asio::awaitable<Result<void>> try_address(std::string host, asio::ip::tcp::endpoint ep,
                                            bool allow_tls, bool& tls_failed);
  asio::awaitable<Result<void>> connect_to_targets();
  asio::awaitable<Result<void>> hello();
  asio::awaitable<Result<Reply>> command(std::string_view line, const char* what);
  asio::awaitable<Result<Reply>> read_reply(std::chrono::milliseconds timeout, const char* stage);
  asio::awaitable<Result<void>> write(std::string_view data, std::chrono::milliseconds timeout,
                                      const char* stage);
  asio::awaitable<Result<std::vector<asio::ip::tcp::endpoint>>> addresses(std::string host,
                                                                          std::uint16_t port);
  asio::awaitable<void> transaction(const mail::Envelope& env,
                                    const std::vector<std::size_t>& indexes,
                                    const StoredMessage& message,
                                    std::vector<RecipientOutcome>& out);
  asio::awaitable<Result<void>> send_dot_stuffed(WireBody& body);
  asio::awaitable<Result<Reply>> send_chunks(WireBody& body, std::size_t unread, bool last_written);
  asio::awaitable<void> lmtp_replies(const std::vector<std::size_t>& accepted, std::vector<RecipientOutcome>& out,
                                     std::vector<bool>& open);
  Error remote_error(const Reply& reply, const char* in_reply_to) const;
  // After the TLS handshake: the 4.7.5 error when pins are set and the
  // server's certificate is not one of them.
  Result<void> check_pin() const;
  void close();

  asio::any_io_executor executor_;
  NextHop hop_;
  ClientOptions opts_;
  std::shared_ptr<net::Resolver> resolver_;
  std::shared_ptr<Conn> conn_;
  std::string peer_;
  ServerCapabilities caps_;
  std::size_t messages_ = 0;
  bool lmtp_ = false;
  bool connecting_ = false;  // inside connect()
  bool aborted_ = false;     // abort_connect() was called during this connect()
};

}  // namespace sm::delivery
