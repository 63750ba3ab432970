// session.cpp - the session's life: greeting, the command loop with the
// error limit, dispatch of each command, and the orderly end (421 on
// time-out, close).
#include "smtp/session.h"

#include "smtp/params.h"
#include "smtp/reply.h"
#include "util/log.h"

namespace sm::smtp {
namespace {

bool is_bdat(std::string_view line) { return upper(line.substr(0, line.find(' '))) == "BDAT"; }
bool is_auth(std::string_view line) { return upper(line.substr(0, line.find(' '))) == "AUTH"; }

}  // namespace

Session::Session(asio::ip::tcp::socket socket, const ServerOptions& options,
                 TransactionHandler& handler, Strand strand)
    : socket_(std::move(socket)),
      stream_(std::make_unique<StreamRef<asio::ip::tcp::socket>>(socket_)),
      options_(options),
      handler_(handler),
      strand_(std::move(strand)),
      timer_(strand_),
      session_end_(Clock::now() + options.limits.session_timeout) {
  info_.listener = options.listener;
}

void Session::describe_peer() {
  std::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (ec) return;
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  info_.peer_address = addr.to_string();
  info_.peer_port = ep.port();
}

asio::awaitable<void> Session::run() {
  try {
    describe_peer();
    log::info("smtpd: connect from [{}]:{} listener={}", info_.peer_address, info_.peer_port,
              info_.listener);
    asio::co_spawn(strand_, watchdog(shared_from_this()), asio::detached);
    co_await loop();
  } catch (const std::exception& e) {
    log::error("smtpd: session with [{}] aborted: {}", info_.peer_address, e.what());
  } catch (...) {
    log::error("smtpd: session with [{}] aborted: unknown exception", info_.peer_address);
  }
  close();
  log::info("smtpd: disconnect from [{}]:{} errors={}", info_.peer_address, info_.peer_port, errors_);
}

asio::awaitable<void> Session::loop() {
  if (options_.implicit_tls && options_.tls) {
    if (co_await tls_handshake() != Io::ok) co_return;  // nothing to greet on
  }
  out_ = format_reply(220, "", options_.hostname + " ESMTP SecureMail");
  const std::size_t max_errors = options_.limits.max_errors;
  while (!quit_) {
    if (max_errors > 0 && errors_ >= max_errors) {
      log::warn("smtpd: too many errors from [{}]", info_.peer_address);
      reply(421, "4.7.0", options_.hostname + " Error: too many errors");
      co_await flush();
      break;
    }
    Io io = Io::ok;
    if (out_.size() >= kInputCapacity) io = co_await flush();  // client not reading replies
    std::string line;
    LineStatus status = LineStatus::ok;
    if (io == Io::ok) io = co_await read_command(line, status, command_limit());
    if (io == Io::ok) io = co_await handle_line(line, status);
    if (io != Io::ok) {
      co_await finish(io);
      co_return;
    }
  }
  co_await flush();
  co_await tls_shutdown();
}

asio::awaitable<Session::Io> Session::handle_line(const std::string& line, LineStatus status) {
  if (status == LineStatus::too_long) {
    protocol_error(500, "5.5.2", "Error: line too long");
    co_return Io::ok;
  }
  if (status == LineStatus::bad_ending) {
    protocol_error(500, "5.5.2", "Error: bare CR or LF not allowed in commands");
    co_return Io::ok;
  }
  if (line.size() + 2 > options_.limits.max_line && !is_auth(line)) {  // command_limit() let it in
    protocol_error(500, "5.5.2", "Error: line too long");
    co_return Io::ok;
  }
  auto cmd = parse_command(line);
  if (!cmd) {
    reply(cmd.error());
    ++errors_;
    if (is_bdat(line)) {
      // Its chunk's end is unknown, and chunk octets must never be read as
      // commands: this session cannot continue (session_bdat.cpp).
      log::warn("smtpd: unreadable BDAT from [{}]; closing", info_.peer_address);
      quit_ = true;
      in_.clear();
    }
    co_return Io::ok;
  }
  if (improper_pipelining(cmd->verb)) co_return co_await refuse_pipelining(line);
  co_return co_await dispatch(*cmd);
}

// RFC 2920 3.1: EHLO, HELO, DATA, VRFY and NOOP end a group (the client
// must wait for their reply); a client that did not say EHLO may not
// pipeline at all. Text sent after DATA before our 354 would otherwise be
// taken as the message (Postfix 3.9 smtpd_forbid_unauth_pipelining).
// STARTTLS has its own rule (session_tls.cpp: pipelined input discarded).
// BDAT is always followed by its chunk; its sequence rules are do_bdat's.
bool Session::improper_pipelining(Verb verb) const {
  if (in_.data().empty() || verb == Verb::quit || verb == Verb::starttls || verb == Verb::bdat) return false;
  switch (verb) {
    case Verb::ehlo:
    case Verb::helo:
    case Verb::data:
    case Verb::vrfy:
    case Verb::noop: return true;
    default: return !esmtp_;
  }
}

asio::awaitable<Session::Io> Session::refuse_pipelining(const std::string& line) {
  std::string ahead(in_.data().substr(0, 64));
  for (char& c : ahead)
    if (c < 0x20 || c > 0x7e) c = '.';
  std::string verb = line.substr(0, line.find(' '));
  for (char& c : verb)
    if (c < 0x20 || c > 0x7e) c = '.';
  log::warn("smtpd: improper command pipelining after {} from [{}]: {}", verb, info_.peer_address, ahead);
  reply(554, "5.5.0", "Error: SMTP protocol synchronization");
  quit_ = true;
  in_.clear();
  co_return Io::ok;
}

asio::awaitable<Session::Io> Session::dispatch(const Command& cmd) {
  switch (cmd.verb) {
    case Verb::ehlo:
    case Verb::helo: do_hello(cmd); break;
    case Verb::mail: do_mail(cmd); break;
    case Verb::rcpt: co_return co_await do_rcpt(cmd);
    case Verb::data: co_return co_await do_data();
    case Verb::bdat: co_return co_await do_bdat(cmd);
    case Verb::rset: do_rset(); break;
    case Verb::noop: reply(250, "2.0.0", "Ok"); break;
    case Verb::vrfy: reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"); break;
    case Verb::help: reply(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH"); break;
    case Verb::starttls: co_return co_await do_starttls();
    case Verb::auth: co_return co_await do_auth(cmd);
    case Verb::quit:
      reply(221, "2.0.0", "Bye");
      quit_ = true;
      break;
  }
  co_return Io::ok;
}

// The connection is broken or timed out: say so if we can, then stop.
asio::awaitable<void> Session::finish(Io io) {
  if (io == Io::timeout) {
    bool whole = Clock::now() >= session_end_;
    log::warn("smtpd: {} timeout from [{}]", whole ? "session" : "command", info_.peer_address);
    timed_out_ = false;
    session_end_ = Clock::now() + std::chrono::seconds(10);  // grace for the last reply
    out_.clear();
    reply(421, "4.4.2", options_.hostname + (whole ? " Error: session time limit exceeded"
                                                   : " Error: timeout exceeded"));
    co_await flush();
  } else if (io == Io::eof) {
    log::info("smtpd: lost connection from [{}]{}", info_.peer_address,
              envelope_ ? " during transaction" : "");
  } else {
    log::info("smtpd: connection error with [{}]", info_.peer_address);
  }
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  watchdog_done_ = true;
  timer_.cancel();
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace sm::smtp
