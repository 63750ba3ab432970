// smtp_client.cpp - the SMTP/LMTP client session (see smtp_client.h): the
// client object, its connection's reads and writes under the watchdog,
// commands and replies, and send(). Connection set-up is in
// smtp_connect.cpp, the mail transaction in smtp_transfer.cpp.
#include "delivery/smtp_client.h"

#include <asio/write.hpp>

#include <cctype>

#include "delivery/smtp_client_conn.h"
#include "util/log.h"

namespace sm::delivery {

namespace {

constexpr std::size_t kMaxTextInError = 400;

// Pins compare as lower-case hex without colons, however they were written.
std::string normalise_fingerprint(std::string_view fp) {
  std::string out;
  for (char c : fp) {
    if (c != ':') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

const std::shared_ptr<asio::ssl::context>& default_client_tls() {
  static const std::shared_ptr<asio::ssl::context> ctx = net::client_tls_context();
  return ctx;
}

}  // namespace

namespace client_detail {

// Arm the watchdog: when it fires first, the socket is closed and the
// pending operation completes with an error.
void arm(const std::shared_ptr<SmtpClient::Conn>& c, std::chrono::milliseconds d) {
  c->timed_out = false;
  c->timer.expires_after(d);
  std::weak_ptr<SmtpClient::Conn> weak = c;
  auto gen = ++c->generation;
  c->timer.async_wait([weak, gen](std::error_code ec) {
    if (ec) return;
    auto conn = weak.lock();
    if (!conn || conn->generation != gen) return;
    conn->timed_out = true;
    std::error_code ignored;
    conn->stream.lowest_layer().close(ignored);
  });
}

void disarm(const std::shared_ptr<SmtpClient::Conn>& c) {
  ++c->generation;
  c->timer.cancel();
}


void flatten(SmtpClient::Reply& r) {
  std::string out;
  for (char c : r.text) {
    if (c == '\n') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  r.text = std::move(out);
  if (r.text.size() > kMaxTextInError) r.text = r.text.substr(0, kMaxTextInError) + "...";
}

}  // namespace client_detail

using client_detail::arm;
using client_detail::disarm;

SmtpClient::SmtpClient(asio::any_io_executor executor, NextHop hop, ClientOptions options,
                       std::shared_ptr<net::Resolver> resolver)
    : executor_(std::move(executor)),
      hop_(std::move(hop)),
      opts_(std::move(options)),
      resolver_(std::move(resolver)),
      lmtp_(hop_.kind == NextHop::Kind::lmtp) {
  if (!opts_.tls) opts_.tls = default_client_tls();
  if (!opts_.pinned_sha256.empty()) {
    // A pinned peer is a member gateway: TLS or nothing, never in clear.
    opts_.starttls = true;
    opts_.require_tls = true;
    for (auto& pin : opts_.pinned_sha256) pin = normalise_fingerprint(pin);
  }
}

SmtpClient::~SmtpClient() { close(); }

bool SmtpClient::connected() const { return conn_ && conn_->open; }
bool SmtpClient::tls_active() const { return connected() && conn_->tls; }

std::string SmtpClient::tls_description() const {
  if (!tls_active()) return {};
  SSL* ssl = const_cast<SSL*>(conn_->stream.native_handle());
  return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

void SmtpClient::close() {
  if (!conn_) return;
  disarm(conn_);
  std::error_code ignored;
  conn_->stream.lowest_layer().close(ignored);
  conn_->open = false;
  conn_.reset();
}

Error SmtpClient::remote_error(const Reply& r, const char* in_reply_to) const {
  Error e;
  if (r.code >= 400 && r.code < 600) {
    e.code = r.code;
    e.enhanced = !r.enhanced.empty() ? r.enhanced : (r.code >= 500 ? "5.0.0" : "4.0.0");
  } else {  // a reply that makes no sense at this point
    e.code = 451;
    e.enhanced = "4.5.0";
  }
  e.text = "host " + peer_ + " said: " + (e.code == r.code ? r.text : r.line()) + " (in reply to " +
           in_reply_to + " command)";
  return e;
}

asio::awaitable<Result<void>> SmtpClient::write(std::string_view data, std::chrono::milliseconds timeout,
                                                const char* stage) {
  auto c = conn_;
  if (!c || !c->open) co_return fail(451, "4.4.2", "lost connection with " + peer_ + " while " + stage);
  arm(c, timeout);
  std::error_code ec;
  if (c->tls) {
    auto [e, n] = co_await asio::async_write(c->stream, asio::buffer(data), use_tuple);
    ec = e;
  } else {
    auto [e, n] = co_await asio::async_write(c->stream.next_layer(), asio::buffer(data), use_tuple);
    ec = e;
  }
  disarm(c);
  if (ec) {
    bool timed_out = c->timed_out;
    close();
    if (timed_out) co_return fail(451, "4.4.2", "conversation with " + peer_ + " timed out while " + stage);
    co_return fail(451, "4.4.2", "lost connection with " + peer_ + " while " + stage + ": " + ec.message());
  }
  co_return Result<void>{};
}

asio::awaitable<Result<SmtpClient::Reply>> SmtpClient::read_reply(std::chrono::milliseconds timeout,
                                                                  const char* stage) {
  auto c = conn_;
  if (!c || !c->open) co_return fail(451, "4.4.2", "lost connection with " + peer_ + " while " + stage);
  ReplyReader reader;
  arm(c, timeout);
  auto broken = [&](const std::string& why) -> Result<Reply> {
    disarm(c);
    close();
    return fail(451, "4.5.0", "protocol error with " + peer_ + " while " + stage + ": " + why);
  };
  while (true) {
    auto status = reader.read(c->inbuf);
    if (status == ReplyReader::Status::complete) break;
    if (status == ReplyReader::Status::broken) co_return broken(reader.why());
    char buf[4096];
    std::error_code ec;
    std::size_t n = 0;
    if (c->tls) {
      auto [e, k] = co_await c->stream.async_read_some(asio::buffer(buf), use_tuple);
      ec = e, n = k;
    } else {
      auto [e, k] = co_await c->stream.next_layer().async_read_some(asio::buffer(buf), use_tuple);
      ec = e, n = k;
    }
    if (ec) {
      disarm(c);
      bool timed_out = c->timed_out;
      close();
      if (timed_out) co_return fail(451, "4.4.2", "conversation with " + peer_ + " timed out while " + stage);
      std::string why = ec == asio::error::eof ? std::string() : ": " + ec.message();
      co_return fail(451, "4.4.2", "lost connection with " + peer_ + " while " + stage + why);
    }
    c->inbuf.append(buf, n);
  }
  Reply reply;
  static_cast<ServerReply&>(reply) = reader.reply();
  disarm(c);
  co_return reply;
}

asio::awaitable<Result<SmtpClient::Reply>> SmtpClient::command(std::string_view line, const char* what) {
  std::string stage = std::string("sending ") + what;
  auto w = co_await write(line, opts_.command_timeout, stage.c_str());
  if (!w) co_return std::unexpected(w.error());
  std::string rstage = std::string("receiving reply to ") + what;
  auto r = co_await read_reply(opts_.command_timeout, rstage.c_str());
  co_return r;
}

asio::awaitable<std::vector<RecipientOutcome>> SmtpClient::send(const mail::Envelope& env,
                                                                const std::vector<std::size_t>& indexes,
                                                                const StoredMessage& message) {
  std::vector<RecipientOutcome> out;
  out.reserve(indexes.size());
  for (auto i : indexes) {
    out.push_back(RecipientOutcome{i, fail(451, "4.3.0", "not attempted")});
  }
  if (indexes.empty()) co_return out;
  co_await transaction(env, indexes, message, out);
  if (env.discreet) co_return out;  // an interception copy is never named in the log
  for (const auto& o : out) {
    const std::string& rcpt = o.index < env.recipients.size() ? env.recipients[o.index].address : "?";
    if (o.result) {
      log::info("{}: to=<{}>, relay={}, status=sent ({})", env.id, rcpt, peer_, *o.result);
    } else {
      log::info("{}: to=<{}>, relay={}, dsn={}, status={} ({})", env.id, rcpt,
                peer_.empty() ? hop_.to_string() : peer_, o.result.error().enhanced,
                o.result.error().permanent() ? "bounced" : "deferred", o.result.error().text);
    }
  }
  co_return out;
}

}  // namespace sm::delivery
