// session_auth.cpp - AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN
// mechanisms, on listeners with ServerOptions::auth and only under TLS.
// The session decodes the exchange into Credentials; whether they are good
// is TransactionHandler::authenticate's answer (accounts, throttling).
// The secret is never logged and is wiped once the handler has seen it.
// AUTH lines may be up to 12288 octets (RFC 4954 4), other commands keep
// limits.max_line.
#include <openssl/crypto.h>

#include <algorithm>

#include "smtp/params.h"
#include "smtp/session.h"
#include "util/base64.h"
#include "util/log.h"

namespace sm::smtp {
namespace {

constexpr std::size_t kAuthLine = 12288;  // RFC 4954 4: octets incl. CRLF

void wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

// Wipes a string when it goes out of scope, whichever way the exchange ends.
struct Wiped {
  std::string& value;
  ~Wiped() { wipe(value); }
};

Error aborted() { return Error{501, "5.7.0", "Authentication aborted"}; }
Error bad_base64() { return Error{501, "5.5.2", "Error: invalid base64 in authentication exchange"}; }

// RFC 4616: [authzid] NUL authcid NUL passwd, exactly two NULs.
Result<void> split_plain(std::string_view message, Credentials& creds) {
  auto first = message.find('\0');
  auto second = first == message.npos ? message.npos : message.find('\0', first + 1);
  if (second == message.npos || message.find('\0', second + 1) != message.npos)
    return fail(501, "5.5.2", "Error: malformed PLAIN response");
  creds.authzid = std::string(message.substr(0, first));
  creds.authcid = std::string(message.substr(first + 1, second - first - 1));
  creds.secret = std::string(message.substr(second + 1));
  return {};
}

}  // namespace

// AUTH lines may be longer than other commands; everything else is held to
// max_line again in handle_line.
std::size_t Session::command_limit() const {
  return options_.auth ? std::max(options_.limits.max_line, kAuthLine) : options_.limits.max_line;
}

// Sequence rules, in the order a client most needs to hear them.
std::optional<Error> Session::auth_refusal() const {
  if (!options_.auth) return Error{502, "5.5.1", "Error: command not implemented"};
  if (info_.helo.empty() || !esmtp_) return Error{503, "5.5.1", "Error: send EHLO first"};
  if (!info_.tls) return Error{538, "5.7.11", "Encryption required for requested authentication mechanism"};
  if (!info_.auth_user.empty()) return Error{503, "5.5.1", "Error: already authenticated"};
  if (envelope_) return Error{503, "5.5.1", "Error: MAIL transaction in progress"};
  return std::nullopt;
}

// Send a 334 prompt and read one response line: its decoded octets, or the
// refusal ("*" cancels, bad base64, an over-long line).
asio::awaitable<Session::Io> Session::auth_response(std::string_view prompt,
                                                    std::optional<std::string>& decoded,
                                                    std::optional<Error>& refusal) {
  out_ += "334 " + std::string(prompt) + "\r\n";
  std::string line;
  Wiped wiped{line};
  LineStatus status = LineStatus::ok;
  if (Io io = co_await read_command(line, status, kAuthLine); io != Io::ok) co_return io;
  if (status == LineStatus::too_long) refusal = Error{500, "5.5.6", "Error: authentication exchange line too long"};
  else if (status != LineStatus::ok) refusal = Error{500, "5.5.2", "Error: bare CR or LF not allowed"};
  else if (line == "*") refusal = aborted();
  else if (line == "=") decoded = std::string();
  else if (!(decoded = base64_decode(line))) refusal = bad_base64();
  co_return Io::ok;
}

// The Credentials of a PLAIN or LOGIN exchange, prompting where needed.
asio::awaitable<Session::Io> Session::auth_credentials(const Command& cmd, Credentials& creds,
                                                       std::optional<Error>& refusal) {
  creds.mechanism = cmd.argument;
  std::optional<std::string> first;
  if (cmd.initial_response) {
    if (*cmd.initial_response == "=") first = std::string();
    else if (!(first = base64_decode(*cmd.initial_response))) refusal = bad_base64();
    if (refusal) co_return Io::ok;
  }
  if (cmd.argument == "PLAIN") {
    if (!first)
      if (Io io = co_await auth_response("", first, refusal); io != Io::ok || refusal) co_return io;
    Wiped wiped_message{*first};
    if (auto r = split_plain(*first, creds); !r) refusal = r.error();
    co_return Io::ok;
  }
  // LOGIN: "Username:" then "Password:" (the initial response is the user).
  if (!first)
    if (Io io = co_await auth_response("VXNlcm5hbWU6", first, refusal); io != Io::ok || refusal) co_return io;
  creds.authcid = *first;
  std::optional<std::string> password;
  if (Io io = co_await auth_response("UGFzc3dvcmQ6", password, refusal); io != Io::ok || refusal) co_return io;
  creds.secret = std::move(*password);
  co_return Io::ok;
}

asio::awaitable<Session::Io> Session::do_auth(const Command& cmd) {
  if (auto refusal = auth_refusal()) {
    protocol_error(refusal->code, refusal->enhanced, refusal->text);
    co_return Io::ok;
  }
  if (cmd.argument != "PLAIN" && cmd.argument != "LOGIN") {
    protocol_error(504, "5.5.4", "Error: unsupported authentication mechanism");
    co_return Io::ok;
  }
  Credentials creds;
  Wiped wiped{creds.secret};
  std::optional<Error> refusal;
  if (Io io = co_await auth_credentials(cmd, creds, refusal); io != Io::ok) co_return io;
  if (refusal) {
    log::info("smtpd: AUTH {} from [{}]: {}", cmd.argument, info_.peer_address, refusal->reply());
    protocol_error(refusal->code, refusal->enhanced, refusal->text);
    co_return Io::ok;
  }
  auto result = co_await handler_.authenticate(info_, creds);
  wipe(creds.secret);
  if (!result) {
    log::info("smtpd: AUTH {} from [{}] user=<{}> failed: {}", creds.mechanism, info_.peer_address,
              creds.authcid, result.error().reply());
    protocol_error(result.error().code, result.error().enhanced, result.error().text);
    co_return Io::ok;
  }
  info_.auth_user = result->user;
  info_.auth_method = result->method;
  info_.auth_strong = result->strong;
  log::info("smtpd: AUTH {} from [{}] user=<{}> method={} strong={}", creds.mechanism, info_.peer_address,
            info_.auth_user, info_.auth_method, info_.auth_strong ? "yes" : "no");
  reply(235, "2.7.0", "Authentication successful");
  co_return Io::ok;
}

}  // namespace sm::smtp
