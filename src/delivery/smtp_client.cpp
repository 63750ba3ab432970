// smtp_client.cpp - the SMTP/LMTP client session (see smtp_client.h).
#include "delivery/smtp_client.h"

#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

#include "delivery/body_stream.h"
#include "mail/xtext.h"
#include "net/tls.h"
#include "util/log.h"

namespace sm::delivery {

namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxTextInError = 400;
constexpr std::size_t kChunk = 64 * 1024;

bool non_ascii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// Mailbox text that may go between <> on the wire.
bool wire_safe(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == '<' || c == '>';
  });
}

std::string label(const std::string& host, const asio::ip::tcp::endpoint& ep) {
  std::string a = ep.address().to_string();
  std::string port = ":" + std::to_string(ep.port());
  if (host == a || host.empty()) return (ep.address().is_v6() ? "[" + a + "]" : a) + port;
  return host + "[" + a + "]" + port;
}

std::string notify_param(unsigned n) {
  if (n == 0) return {};
  if (n & mail::kNotifyNever) return "NEVER";
  std::string s;
  auto add = [&](const char* w) { s += (s.empty() ? "" : ",") + std::string(w); };
  if (n & mail::kNotifySuccess) add("SUCCESS");
  if (n & mail::kNotifyFailure) add("FAILURE");
  if (n & mail::kNotifyDelay) add("DELAY");
  return s;
}

std::string orcpt_param(const mail::Recipient& r) {
  std::string type = "rfc822", value = r.orcpt.empty() ? r.address : r.orcpt;
  if (!r.orcpt.empty()) {
    auto semi = r.orcpt.find(';');
    if (semi != std::string::npos && semi > 0) {
      type = r.orcpt.substr(0, semi);
      value = r.orcpt.substr(semi + 1);
    }
  }
  return type + ";" + mail::xtext_encode(value);
}

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

// One TCP (maybe TLS) connection with its watchdog timer. Held by
// shared_ptr so a late timer callback can tell the connection is gone.
struct SmtpClient::Conn {
  Conn(asio::any_io_executor ex, asio::ssl::context& ctx) : stream(ex, ctx), timer(ex) {}
  asio::ssl::stream<asio::ip::tcp::socket> stream;
  asio::steady_timer timer;
  std::uint64_t generation = 0;
  bool timed_out = false;
  bool tls = false;
  bool open = false;
  std::string inbuf;
};

struct SmtpClient::Reply : ServerReply {  // text '\n'-separated until flatten()
  std::string line() const {
    return std::to_string(code) + (enhanced.empty() ? "" : " " + enhanced) + (text.empty() ? "" : " " + text);
  }
};

namespace {

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

}  // namespace

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

namespace {
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

asio::awaitable<void> SmtpClient::transaction(const mail::Envelope& env,
                                              const std::vector<std::size_t>& indexes,
                                              const StoredMessage& message,
                                              std::vector<RecipientOutcome>& out) {
  // Which outcomes are still open (no definitive answer yet).
  std::vector<bool> open(out.size(), true);
  auto settle_all = [&](const Error& e) {
    for (std::size_t k = 0; k < out.size(); ++k) {
      if (open[k]) out[k].result = std::unexpected(e), open[k] = false;
    }
  };

  for (std::size_t k = 0; k < out.size(); ++k) {
    if (indexes[k] >= env.recipients.size()) {
      out[k].result = local_error("recipient index " + std::to_string(indexes[k]) + " out of range");
      open[k] = false;
    } else if (!wire_safe(env.recipients[indexes[k]].address) || env.recipients[indexes[k]].address.empty()) {
      out[k].result = fail(553, "5.1.3", "bad recipient address syntax");
      open[k] = false;
    }
  }
  if (!wire_safe(env.sender)) co_return settle_all(Error{553, "5.1.7", "bad sender address syntax"});

  BodyReader reader;
  if (auto r = reader.open(message); !r) co_return settle_all(r.error());

  // Reuse: RSET probes the cached connection; a dead one is replaced.
  if (connected() && messages_ > 0) {
    auto r = co_await command("RSET\r\n", "RSET");
    if (!r || r->code / 100 != 2) {
      log::debug("cached connection to {} unusable, reconnecting", peer_);
      close();
    }
  }
  if (!connected()) {
    auto c = co_await connect();
    if (!c) co_return settle_all(c.error());
  }
  ++messages_;

  // Checks against what the server announced.
  if (caps_.size && caps_.size_limit > 0 && message.size > caps_.size_limit) {
    co_return settle_all(Error{552, "5.3.4",
                               "message size " + std::to_string(message.size) +
                                   " exceeds size limit " + std::to_string(caps_.size_limit) +
                                   " of server " + peer_});
  }
  bool utf8 = non_ascii(env.sender);
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (open[k] && non_ascii(env.recipients[indexes[k]].address)) utf8 = true;
  }
  if (utf8 && !caps_.smtputf8) {
    co_return settle_all(Error{553, "5.6.7", "SMTPUTF8 is required, but was not offered by host " + peer_});
  }
  if (env.body_8bit && !caps_.eightbitmime) {
    log::info("{}: 8-bit body sent to {} which does not announce 8BITMIME", env.id, peer_);
  }

  std::string mail = "MAIL FROM:<" + env.sender + ">";
  if (caps_.size) mail += " SIZE=" + std::to_string(message.size);
  if (env.body_8bit && caps_.eightbitmime) mail += " BODY=8BITMIME";
  if (utf8) mail += " SMTPUTF8";
  if (caps_.dsn) {
    if (env.ret == mail::Ret::full) mail += " RET=FULL";
    if (env.ret == mail::Ret::hdrs) mail += " RET=HDRS";
    if (!env.envid.empty()) mail += " ENVID=" + mail::xtext_encode(env.envid);
  }
  mail += "\r\n";
  std::vector<std::size_t> sent;  // positions in `out` whose RCPT goes out
  std::vector<std::string> rcpts;
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (!open[k]) continue;
    const auto& r = env.recipients[indexes[k]];
    std::string line = "RCPT TO:<" + r.address + ">";
    if (caps_.dsn) {
      if (auto n = notify_param(r.notify); !n.empty()) line += " NOTIFY=" + n;
      line += " ORCPT=" + orcpt_param(r);
    }
    rcpts.push_back(line + "\r\n");
    sent.push_back(k);
  }
  if (sent.empty()) co_return;

  // Connection-level failure: everything open fails temporarily, the
  // connection is gone.
  auto conn_fail = [&](const Error& e) {
    close();
    settle_all(e);
  };
  auto is_421 = [](const Reply& r) { return r.code == 421; };

  bool pipelining = caps_.pipelining;
  std::vector<std::size_t> accepted;
  std::optional<Reply> data_reply;
  if (pipelining) {
    std::string batch = mail;
    for (const auto& l : rcpts) batch += l;
    batch += "DATA\r\n";
    if (auto w = co_await write(batch, opts_.command_timeout, "sending MAIL FROM"); !w) co_return conn_fail(w.error());
  } else {
    if (auto w = co_await write(mail, opts_.command_timeout, "sending MAIL FROM"); !w) co_return conn_fail(w.error());
  }
  auto mr = co_await read_reply(opts_.command_timeout, "receiving reply to MAIL FROM");
  if (!mr) co_return conn_fail(mr.error());
  flatten(*mr);
  if (is_421(*mr)) co_return conn_fail(remote_error(*mr, "MAIL FROM"));
  bool mail_ok = mr->code / 100 == 2;
  std::optional<Error> mail_error;
  if (!mail_ok) mail_error = remote_error(*mr, "MAIL FROM");
  if (!mail_ok && !pipelining) {
    settle_all(*mail_error);
    if (auto r = co_await command("RSET\r\n", "RSET"); !r) close();
    co_return;
  }
  for (std::size_t j = 0; j < sent.size(); ++j) {
    if (!pipelining) {
      if (auto w = co_await write(rcpts[j], opts_.command_timeout, "sending RCPT TO"); !w) co_return conn_fail(w.error());
    }
    auto rr = co_await read_reply(opts_.command_timeout, "receiving reply to RCPT TO");
    if (!rr) co_return conn_fail(rr.error());
    flatten(*rr);
    if (is_421(*rr)) co_return conn_fail(remote_error(*rr, "RCPT TO"));
    std::size_t k = sent[j];
    if (!mail_ok) continue;
    if (rr->code / 100 == 2) {
      accepted.push_back(k);
    } else {
      out[k].result = std::unexpected(remote_error(*rr, "RCPT TO"));
      open[k] = false;
    }
  }
  if (pipelining) {
    auto dr = co_await read_reply(opts_.command_timeout, "receiving reply to DATA");
    if (!dr) co_return conn_fail(dr.error());
    flatten(*dr);
    data_reply = *dr;
    if (is_421(*dr)) co_return conn_fail(remote_error(*dr, "DATA"));
  }
  if (!mail_ok || accepted.empty()) {
    if (!mail_ok) settle_all(*mail_error);
    if (data_reply && data_reply->code == 354) {
      // A broken server opened DATA with nobody to deliver to: end it empty.
      std::string dot = ".\r\n";
      if (auto w = co_await write(dot, opts_.data_timeout, "sending end of data"); !w) co_return close();
      if (auto r = co_await read_reply(opts_.data_timeout, "receiving reply to end of DATA"); !r) co_return;
    }
    if (auto r = co_await command("RSET\r\n", "RSET"); !r) close();
    co_return;
  }
  if (!pipelining) {
    auto dr = co_await command("DATA\r\n", "DATA");
    if (!dr) co_return conn_fail(dr.error());
    flatten(*dr);
    data_reply = *dr;
    if (is_421(*dr)) co_return conn_fail(remote_error(*dr, "DATA"));
  }
  if (data_reply->code != 354) {
    Error e = remote_error(*data_reply, "DATA");
    for (auto k : accepted) out[k].result = std::unexpected(e), open[k] = false;
    if (auto r = co_await command("RSET\r\n", "RSET"); !r) close();
    co_return;
  }

  // The body, in bounded chunks, never whole in memory.
  DotStuffer stuffer;
  std::string chunk, wire;
  while (true) {
    if (auto r = reader.read(chunk, kChunk); !r) {
      // Cannot finish the message correctly: drop the connection so the
      // server discards the partial message.
      log::warn("{}: {}; aborting transfer to {}", env.id, r.error().text, peer_);
      close();
      co_return settle_all(r.error());
    }
    if (chunk.empty()) break;
    stuffer.feed(chunk, wire);
    if (wire.size() >= kChunk) {
      if (auto w = co_await write(wire, opts_.data_timeout, "sending message body"); !w) co_return conn_fail(w.error());
      wire.clear();
    }
  }
  stuffer.finish(wire);
  if (auto w = co_await write(wire, opts_.data_timeout, "sending message body"); !w) co_return conn_fail(w.error());

  if (!lmtp_) {
    auto fr = co_await read_reply(opts_.data_timeout, "receiving reply to end of DATA");
    if (!fr) co_return conn_fail(fr.error());
    flatten(*fr);
    if (fr->code / 100 == 2) {
      for (auto k : accepted) out[k].result = fr->line(), open[k] = false;
    } else {
      Error e = remote_error(*fr, "end of DATA");
      for (auto k : accepted) out[k].result = std::unexpected(e), open[k] = false;
      if (is_421(*fr)) close();
    }
    co_return;
  }
  // LMTP: one reply per accepted recipient, in RCPT order (RFC 2033 4.2).
  for (auto k : accepted) {
    auto fr = co_await read_reply(opts_.data_timeout, "receiving reply to end of DATA");
    if (!fr) co_return conn_fail(fr.error());
    flatten(*fr);
    if (fr->code / 100 == 2) {
      out[k].result = fr->line();
    } else {
      out[k].result = std::unexpected(remote_error(*fr, "end of DATA"));
      if (is_421(*fr)) co_return conn_fail(remote_error(*fr, "end of DATA"));
    }
    open[k] = false;
  }
}

}  // namespace sm::delivery
