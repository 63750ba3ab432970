// smtp_probe.cpp - the runner's blocking SMTP/TLS client (see smtp_probe.h).
// Time limits come from SO_RCVTIMEO/SO_SNDTIMEO on the socket, so a read
// inside OpenSSL is bounded too; poll() answers "is anything there yet".
#include "certify/smtp_probe.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "pki/certificate.h"

namespace sm::certify {
namespace {

constexpr std::size_t kMaxLine = 4096, kMaxLines = 100;

Error trouble(std::string text) { return Error{451, "4.4.2", std::move(text)}; }

void set_timeouts(int fd, std::chrono::milliseconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(t.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Connect with a deadline: non-blocking connect, poll, then blocking again.
int connect_within(const addrinfo* ai, std::chrono::milliseconds timeout) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
  if (fd < 0) return -1;
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof err;
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1 ||
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    ::close(fd);
    return -1;
  }
  // Back to blocking; reads and writes are bounded by the socket time-outs.
  int fl = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

bool forward_secret(const SSL* ssl) {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl);
  if (!c) return false;
  int kx = SSL_CIPHER_get_kx_nid(c);
  return kx == NID_kx_ecdhe || kx == NID_kx_dhe || kx == NID_kx_any;  // any: TLS 1.3 (always (EC)DHE)
}

}  // namespace

std::string SmtpReply::summary() const {
  if (code == 0) return "(connection closed)";
  return std::to_string(code) + (lines.empty() ? "" : " " + lines.front());
}

std::string_view tls_version_name(int version) {
  switch (version) {
    case TLS1_VERSION: return "TLSv1";
    case TLS1_1_VERSION: return "TLSv1.1";
    case TLS1_2_VERSION: return "TLSv1.2";
    case TLS1_3_VERSION: return "TLSv1.3";
  }
  return "TLS";
}

Result<std::unique_ptr<SmtpProbe>> SmtpProbe::connect(const std::string& host, std::uint16_t port,
                                                      std::chrono::milliseconds timeout) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return std::unexpected(Error{451, "4.4.1", where + ": " + ::gai_strerror(rc)});
  int fd = -1;
  for (const addrinfo* ai = found; ai && fd < 0; ai = ai->ai_next) fd = connect_within(ai, timeout);
  ::freeaddrinfo(found);
  if (fd < 0) return std::unexpected(Error{451, "4.4.1", where + ": no answer (connection refused or timed out)"});
  set_timeouts(fd, timeout);
  return std::unique_ptr<SmtpProbe>(new SmtpProbe(fd, timeout));
}

SmtpProbe::~SmtpProbe() {
  ssl_.reset();
  if (fd_ >= 0) ::close(fd_);
}

bool SmtpProbe::wait_readable(std::chrono::milliseconds wait) const {
  if (application_data_waiting()) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(wait.count())) == 1;
}

Result<std::size_t> SmtpProbe::read_some(char* buf, std::size_t n) {
  if (ssl_) {
    int got = SSL_read(ssl_.get(), buf, static_cast<int>(n));
    if (got > 0) return static_cast<std::size_t>(got);
    int err = SSL_get_error(ssl_.get(), got);
    if (err == SSL_ERROR_ZERO_RETURN) return 0;
    if (err == SSL_ERROR_SYSCALL && errno == 0) return 0;
    return std::unexpected(trouble("TLS read failed: " + ossl::openssl_error("timed out or connection reset")));
  }
  ssize_t got = ::recv(fd_, buf, n, 0);
  if (got >= 0) return static_cast<std::size_t>(got);
  return std::unexpected(trouble(errno == EAGAIN ? "no reply within the time limit" : std::strerror(errno)));
}

Result<std::string> SmtpProbe::read_line() {
  while (true) {
    auto eol = buffer_.find('\n');
    if (eol != std::string::npos) {
      std::string line = buffer_.substr(0, eol);
      buffer_.erase(0, eol + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (buffer_.size() > kMaxLine) return std::unexpected(trouble("a reply line longer than 4096 octets"));
    char buf[4096];
    auto got = read_some(buf, sizeof buf);
    if (!got) return std::unexpected(got.error());
    if (*got == 0) return std::unexpected(Error{421, "4.4.2", "closed"});
    buffer_.append(buf, *got);
  }
}

Result<SmtpReply> SmtpProbe::read_reply() {
  SmtpReply reply;
  while (reply.lines.size() < kMaxLines) {
    auto line = read_line();
    if (!line && line.error().code == 421) return SmtpReply{};  // closed: code 0
    if (!line) return std::unexpected(line.error());
    if (line->size() < 3 || !std::isdigit(static_cast<unsigned char>((*line)[0])) ||
        !std::isdigit(static_cast<unsigned char>((*line)[1])) || !std::isdigit(static_cast<unsigned char>((*line)[2])))
      return std::unexpected(trouble("not an SMTP reply: \"" + line->substr(0, 80) + "\""));
    reply.code = std::stoi(line->substr(0, 3));
    reply.lines.push_back(line->size() > 4 ? line->substr(4) : "");
    if (line->size() == 3 || (*line)[3] != '-') return reply;
  }
  return std::unexpected(trouble("a reply of more than 100 lines"));
}

Result<std::optional<SmtpReply>> SmtpProbe::reply_within(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!application_data_waiting()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_readable(left)) return std::optional<SmtpReply>{};
    if (!ssl_) break;  // plain: the octets are the reply
    // TLS: what arrived may be a record with no application data (a TLS 1.3
    // session ticket); look without blocking, then wait again.
    int flags = ::fcntl(fd_, F_GETFL);
    ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
    char octet;
    int got = SSL_peek(ssl_.get(), &octet, 1);
    int err = got > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), got);
    ::fcntl(fd_, F_SETFL, flags);
    if (got > 0) break;
    if (err != SSL_ERROR_WANT_READ) return std::optional<SmtpReply>{};  // closed
  }
  auto reply = read_reply();
  if (!reply) return std::unexpected(reply.error());
  if (reply->code == 0) return std::optional<SmtpReply>{};
  return std::optional<SmtpReply>{std::move(*reply)};
}

bool SmtpProbe::application_data_waiting() const {
  return !buffer_.empty() || (ssl_ && SSL_pending(ssl_.get()) > 0);
}

Result<void> SmtpProbe::write(std::string_view bytes) {
  while (!bytes.empty()) {
    if (ssl_) {
      int put = SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size()));
      if (put <= 0) return std::unexpected(trouble("TLS write failed: " + ossl::openssl_error("connection closed")));
      bytes.remove_prefix(static_cast<std::size_t>(put));
    } else {
      ssize_t put = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (put <= 0) return std::unexpected(trouble(std::string("write failed: ") + std::strerror(errno)));
      bytes.remove_prefix(static_cast<std::size_t>(put));
    }
  }
  return {};
}

Result<SmtpReply> SmtpProbe::command(std::string_view line) {
  if (auto w = write(std::string(line) + "\r\n"); !w) return std::unexpected(w.error());
  return read_reply();
}

Result<SmtpReply> SmtpProbe::ehlo(std::string_view name) {
  auto reply = command("EHLO " + std::string(name));
  if (!reply) return reply;
  keywords_.clear();
  for (std::size_t i = 1; i < reply->lines.size(); ++i) {
    std::string word = reply->lines[i].substr(0, reply->lines[i].find(' '));
    for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    keywords_.push_back(std::move(word));
  }
  return reply;
}

bool SmtpProbe::offers(std::string_view keyword) const {
  for (const auto& k : keywords_)
    if (k == keyword) return true;
  return false;
}

Result<TlsFacts> SmtpProbe::handshake(const TlsSettings& s) {
  auto fail = [](std::string what) {
    return std::unexpected(Error{454, "4.7.0", std::move(what) + ": " + ossl::openssl_error("handshake failed")});
  };
  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!ctx_) return fail("SSL_CTX_new");
  // Level 0: the probe must be able to offer what a gateway must refuse.
  SSL_CTX_set_security_level(ctx_.get(), 0);
  SSL_CTX_set_min_proto_version(ctx_.get(), s.min_version ? s.min_version : TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx_.get(), s.max_version ? s.max_version : TLS1_3_VERSION);
  if (!s.ciphers.empty() && SSL_CTX_set_cipher_list(ctx_.get(), s.ciphers.c_str()) != 1) return fail("cipher list");
  if (s.client_cert && s.client_key) {
    if (SSL_CTX_use_certificate(ctx_.get(), const_cast<X509*>(s.client_cert)) != 1 ||
        SSL_CTX_use_PrivateKey(ctx_.get(), const_cast<EVP_PKEY*>(s.client_key)) != 1)
      return fail("client certificate");
  }
  SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);  // the runner judges the certificate itself
  ssl_.reset(SSL_new(ctx_.get()));
  if (!ssl_ || SSL_set_fd(ssl_.get(), fd_) != 1) return fail("SSL_new");
  buffer_.clear();  // anything the server sent before the handshake is gone, as in a correct client
  ERR_clear_error();
  if (SSL_connect(ssl_.get()) != 1) {
    auto e = fail("TLS handshake refused");
    ssl_.reset();
    return e;
  }
  TlsFacts facts;
  facts.version = SSL_get_version(ssl_.get());
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get())) facts.cipher = SSL_CIPHER_get_name(c);
  facts.forward_secret = forward_secret(ssl_.get());
  facts.peer.reset(SSL_get1_peer_certificate(ssl_.get()));
  if (facts.peer) facts.peer_sha256 = pki::fingerprint(facts.peer.get());
  return facts;
}

Result<SmtpReply> SmtpProbe::data_body(std::string_view message) {
  std::string wire;
  wire.reserve(message.size() + message.size() / 64 + 8);
  bool line_start = true;
  for (char c : message) {
    if (line_start && c == '.') wire += '.';
    wire += c;
    line_start = c == '\n';
  }
  if (!wire.empty() && !wire.ends_with("\r\n")) wire += "\r\n";
  wire += ".\r\n";
  if (auto w = write(wire); !w) return std::unexpected(w.error());
  return read_reply();
}

void SmtpProbe::quit() {
  if (fd_ < 0) return;
  if (write("QUIT\r\n")) (void)reply_within(std::chrono::milliseconds(2000));
  if (ssl_) SSL_shutdown(ssl_.get());
  ssl_.reset();
  ::close(fd_);
  fd_ = -1;
}

}  // namespace sm::certify
