// server.h - the SMTP server side of the protocol (RFC 5321), one session
// per accepted connection, as an Asio coroutine.
//
// The session owns the wire: greeting, EHLO keywords (PIPELINING, SIZE,
// 8BITMIME, BINARYMIME, CHUNKING, ENHANCEDSTATUSCODES, STARTTLS, DSN),
// command grammar, limits, time-outs, STARTTLS with discard of pipelined
// input, DATA with the CRLF.CRLF terminator and dot-unstuffing, rejecting
// bare CR / bare LF, and RFC 3030 BDAT chunks taken as they are.
// What to accept is not its business: every envelope decision and the
// body's destination go through TransactionHandler, whose Error values are
// sent back as replies. It never touches the queue or policy directly.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "mail/envelope.h"
#include "util/error.h"

namespace sm::smtp {

struct ServerLimits {
  std::size_t max_line = 1000;                  // octets incl. CRLF, commands and text lines (RFC 5321 4.5.3.1.6)
  std::size_t max_recipients = 1000;            // per transaction; N+1 gets 452 4.5.3
  std::uint64_t max_message_size = 50u << 20;   // SIZE; larger gets 552 5.3.4
  std::size_t max_errors = 10;                  // bad commands before 421 4.7.0 and close
  std::chrono::seconds command_timeout{300};    // per command (and per DATA chunk)
  std::chrono::seconds session_timeout{1800};   // whole session
  // Under stress (ServerOptions::stress set), every wait for the client
  // is cut to this, idle sessions already waiting included (Postfix's
  // stress-dependent smtpd_timeout of 10 s).
  std::chrono::seconds stress_command_timeout{10};
};

struct ServerOptions {
  std::string hostname;       // in the greeting, EHLO reply and Received:
  std::string listener;       // "relay" or "inbound", copied into the envelope
  ServerLimits limits;
  std::shared_ptr<asio::ssl::context> tls;  // null: STARTTLS not offered
  // Set by the listener while it is near its connection limit; null: never.
  std::shared_ptr<const std::atomic<bool>> stress;
  // Set by the listener when the gateway is about to restart in place (a
  // reload): a MAIL that would begin a new transaction gets 421 4.3.2 and
  // the session ends, so the client sends it again to the new image; a
  // transaction already begun finishes. Null: never.
  std::shared_ptr<const std::atomic<bool>> closing;
  // Submission (RFC 6409, 4954): AUTH PLAIN and LOGIN are offered only once
  // the session is under TLS, and MAIL before AUTH gets 530 5.7.0.
  bool auth = false;
  // Implicit TLS (RFC 8314, port 465): the handshake comes before the
  // greeting; STARTTLS is then not offered.
  bool implicit_tls = false;
};

// Facts about the connection the handler may decide on.
struct SessionInfo {
  std::string listener;
  std::string peer_address;
  std::uint16_t peer_port = 0;
  std::string helo;
  bool tls = false;
  std::string tls_version;  // e.g. "TLSv1.3" when tls
  std::string tls_cipher;
  // SHA-256 fingerprint (lower-case hex) of the client's TLS certificate,
  // when it presented one (the server asks, never requires); not verified
  // here: the handler compares it with what it trusts (the directory).
  std::string peer_cert_sha256;
  // After a successful AUTH: who, and how strongly (TransactionHandler::authenticate's answer).
  std::string auth_user;
  std::string auth_method;  // "password", "totp", "device", "recovery"
  bool auth_strong = false;
};

// What an AUTH exchange carried (RFC 4954, RFC 4616 PLAIN, LOGIN).
struct Credentials {
  std::string mechanism;  // "PLAIN" or "LOGIN"
  std::string authzid;    // PLAIN only; empty or equal to authcid, else refused by the handler
  std::string authcid;    // the login name
  std::string secret;     // never logged
};

struct Authenticated {
  std::string user;
  std::string method;
  bool strong = false;
};

// Where the message goes. write() is called with the message in pieces:
// after DATA dot-unstuffed (CRLF line ends preserved), after BDAT the
// octets exactly as sent (already in their final form; BODY=BINARYMIME
// may hold anything after the header). commit() is awaited after DATA's
// final CRLF.CRLF or the LAST chunk and must only return success once the
// message is on stable storage. A sink destroyed without commit()
// discards what it holds.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual Result<void> write(std::string_view chunk) = 0;
  // On success the string is the queue id, sent in "250 2.0.0 Ok: queued as ID".
  virtual asio::awaitable<Result<std::string>> commit() = 0;
};

class TransactionHandler {
 public:
  virtual ~TransactionHandler() = default;
  // After a syntactically valid MAIL FROM (env.sender, ret, envid, body_8bit, body_binary set).
  virtual Result<void> on_mail(const SessionInfo&, const mail::Envelope& env) = 0;
  // For each syntactically valid RCPT TO before it is added to env.
  virtual Result<void> on_rcpt(const SessionInfo&, const mail::Envelope& env,
                               const mail::Recipient& rcpt) = 0;
  // Then, for a recipient on_rcpt took, whatever may take a while (asking
  // the internal server whether the mailbox exists). Awaited before the
  // next command is read, so pipelined RCPTs are answered in order. The
  // default takes every recipient.
  virtual asio::awaitable<Result<void>> verify_rcpt(const SessionInfo&, const mail::Envelope&,
                                                    const mail::Recipient&) {
    co_return Result<void>{};
  }
  // At DATA, or the first BDAT, with at least one accepted recipient. The sink receives the
  // message, starting with whatever trace header the handler chooses to
  // write first.
  virtual Result<std::unique_ptr<MessageSink>> on_data(const SessionInfo&,
                                                       const mail::Envelope& env) = 0;
  // AUTH on a listener with ServerOptions::auth. May take a while (a slow
  // hash, a throttle delay): awaited off the session's strand by the
  // handler's own means. Failure replies are sent as given (535 5.7.8,
  // 454 4.7.0). The default refuses: listeners without accounts.
  virtual asio::awaitable<Result<Authenticated>> authenticate(const SessionInfo&, const Credentials&) {
    co_return fail(504, "5.5.4", "authentication not available here");
  }
};

// Run one session on an accepted TCP socket until QUIT, error or time-out.
// Never throws; every failure is logged and the connection closed.
asio::awaitable<void> serve_session(asio::ip::tcp::socket socket, const ServerOptions& options,
                                    TransactionHandler& handler);

}  // namespace sm::smtp
