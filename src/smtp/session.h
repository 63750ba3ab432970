// session.h - one SMTP server session (internal to the smtp module):
// state, the I/O helpers with time-outs and reply buffering, and one
// member per command. serve_session() (server.cpp) creates it.
//
// Threading: the session and its time-out watchdog run as coroutines on
// one strand, so no member is touched concurrently.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "smtp/command.h"
#include "smtp/data.h"
#include "smtp/input.h"
#include "smtp/server.h"
#include "smtp/stream.h"

namespace sm::smtp {

class Session : public std::enable_shared_from_this<Session> {
 public:
  using Clock = std::chrono::steady_clock;
  using Strand = asio::strand<asio::any_io_executor>;

  Session(asio::ip::tcp::socket socket, const ServerOptions& options, TransactionHandler& handler,
          Strand strand);
  // The whole session; never throws.
  asio::awaitable<void> run();

 private:
  enum class Io { ok, eof, timeout, error };
  struct DataResult {
    Io io = Io::ok;
    DataFault fault = DataFault::none;
    std::optional<Error> sink_error;
    std::uint64_t size = 0;
  };

  // session.cpp: the command loop
  void describe_peer();
  asio::awaitable<void> loop();
  asio::awaitable<Io> handle_line(const std::string& line, LineStatus status);
  asio::awaitable<Io> dispatch(const Command& cmd);
  bool improper_pipelining(Verb verb) const;
  asio::awaitable<Io> refuse_pipelining(const std::string& line);
  asio::awaitable<void> finish(Io io);
  void close();

  // session_io.cpp: buffered replies, bounded reads, time-outs
  void reply(int code, std::string_view enhanced, std::string_view text);
  void reply(const Error& error);
  void protocol_error(int code, std::string_view enhanced, std::string_view text);
  asio::awaitable<Io> flush();
  asio::awaitable<Io> fill();
  // limit: octets incl. CRLF; 0 = limits.max_line.
  asio::awaitable<Io> read_command(std::string& line, LineStatus& status, std::size_t limit = 0);
  void arm(Clock::duration timeout);
  void disarm() { io_pending_ = false; }
  asio::awaitable<void> watchdog(std::shared_ptr<Session> self);
  bool stressed() const { return options_.stress && options_.stress->load(std::memory_order_relaxed); }
  Io io_status(const std::error_code& ec) const;

  // session_commands.cpp: everything but DATA and STARTTLS
  void do_hello(const Command& cmd);
  void do_mail(const Command& cmd);
  asio::awaitable<Io> do_rcpt(const Command& cmd);
  void do_rset();
  void reset_transaction() {
    envelope_.reset();
    chunking_ = Chunking{};  // a sink dropped without commit discards its message
  }

  // session_data.cpp
  asio::awaitable<Io> do_data();
  asio::awaitable<DataResult> receive_data(MessageSink& sink);
  asio::awaitable<void> answer_data(DataResult result, MessageSink& sink);

  // session_bdat.cpp: RFC 3030 CHUNKING
  asio::awaitable<Io> do_bdat(const Command& cmd);
  std::optional<Error> bdat_refusal() const;
  asio::awaitable<DataResult> receive_chunk(std::uint64_t size, MessageSink* sink);
  asio::awaitable<Io> discard_chunk(std::uint64_t size);

  // session_auth.cpp: RFC 4954 AUTH PLAIN / LOGIN
  asio::awaitable<Io> do_auth(const Command& cmd);
  std::optional<Error> auth_refusal() const;
  asio::awaitable<Io> auth_response(std::string_view prompt, std::optional<std::string>& decoded,
                                    std::optional<Error>& refusal);
  asio::awaitable<Io> auth_credentials(const Command& cmd, Credentials& creds,
                                       std::optional<Error>& refusal);
  std::size_t command_limit() const;

  // session_tls.cpp
  asio::awaitable<Io> do_starttls();
  asio::awaitable<Io> tls_handshake();  // STARTTLS's, or before the greeting (implicit TLS)
  asio::awaitable<void> tls_shutdown();

  asio::ip::tcp::socket socket_;
  std::optional<asio::ssl::stream<asio::ip::tcp::socket&>> tls_stream_;
  std::unique_ptr<Stream> stream_;
  const ServerOptions& options_;
  TransactionHandler& handler_;
  Strand strand_;
  asio::steady_timer timer_;

  InputBuffer in_;
  std::string out_;                 // replies not yet written (RFC 2920)
  SessionInfo info_;
  bool esmtp_ = false;              // EHLO (not HELO) seen
  std::optional<mail::Envelope> envelope_;  // set between MAIL and end of DATA / RSET
  // The BDAT transaction between its first chunk and LAST (or RSET).
  struct Chunking {
    bool started = false;                // a BDAT was seen: DATA is out of sequence
    std::unique_ptr<MessageSink> sink;   // where the chunks go
    std::uint64_t size = 0;              // octets received so far
    std::optional<Error> failed;         // the refusal, repeated to every further chunk until LAST
  };
  Chunking chunking_;
  std::size_t errors_ = 0;
  bool quit_ = false;
  bool closed_ = false;

  Clock::time_point session_end_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point armed_at_{};    // when the pending I/O began
  bool io_pending_ = false;
  bool timed_out_ = false;
  bool watchdog_done_ = false;
};

}  // namespace sm::smtp
