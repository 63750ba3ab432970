// smtp_probe.h - the certification runner's own SMTP client: one blocking
// connection to a target, every reply kept as it came, raw writes (bare
// LF, smuggled endings, over-long lines, pipelined STARTTLS), and a TLS
// handshake with settings the gateway's client never offers (TLS 1.0 and
// 1.1, key exchange without forward secrecy), so that the runner can see
// whether the target refuses them. Its SSL_CTX is its own, at OpenSSL
// security level 0: net/tls.cpp is untouched and nothing of this reaches
// the gateway's mail path.
//
// A hostile target cannot hang or flood the runner: every read and write
// has a time limit, a reply may hold at most 100 lines of 4 KiB.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pki/openssl.h"
#include "util/error.h"

namespace sm::certify {

using SslPtr = std::unique_ptr<SSL, ossl::OpensslDeleter<SSL_free>>;

struct SmtpReply {
  int code = 0;                     // 0: none (connection closed)
  std::vector<std::string> lines;   // text after "ddd-" / "ddd "
  bool positive() const { return code >= 200 && code < 400; }
  bool permanent() const { return code >= 500 && code < 600; }
  // "250 2.0.0 Ok" (the first line with its code), or "(connection closed)".
  std::string summary() const;
};

struct TlsSettings {
  int min_version = 0;       // TLS1_VERSION, ...; 0: TLS 1.0 (the probe offers what it is asked to)
  int max_version = 0;       // 0: TLS 1.3
  std::string ciphers;       // TLS 1.2 and older cipher list; empty: OpenSSL's default
  const X509* client_cert = nullptr;  // shown when the server asks
  const EVP_PKEY* client_key = nullptr;
};

struct TlsFacts {
  std::string version;      // "TLSv1.3"
  std::string cipher;       // "TLS_AES_256_GCM_SHA384"
  bool forward_secret = false;  // ECDHE/DHE key exchange, or TLS 1.3
  ossl::X509Ptr peer;       // the server's certificate
  std::string peer_sha256;  // its fingerprint, lower-case hex
};

class SmtpProbe {
 public:
  // Connect to host:port (an IP address or a name). Error 451 4.4.1 naming
  // host:port when nothing answers within `timeout`.
  static Result<std::unique_ptr<SmtpProbe>> connect(const std::string& host, std::uint16_t port,
                                                    std::chrono::milliseconds timeout);
  ~SmtpProbe();
  SmtpProbe(const SmtpProbe&) = delete;
  SmtpProbe& operator=(const SmtpProbe&) = delete;

  // Read one reply (multi-line). A closed connection is a reply with code 0.
  Result<SmtpReply> read_reply();
  // A reply if one starts arriving within `wait`, else nullopt: did the
  // server answer something nobody asked it now?
  Result<std::optional<SmtpReply>> reply_within(std::chrono::milliseconds wait);
  // Write `line` + CRLF and read the reply.
  Result<SmtpReply> command(std::string_view line);
  // Write bytes exactly as given.
  Result<void> write(std::string_view bytes);

  // EHLO, keeping the keywords (upper-case, first word of each line after the first).
  Result<SmtpReply> ehlo(std::string_view name);
  bool offers(std::string_view keyword) const;

  // The TLS handshake after the server said 220 to STARTTLS. Error 454
  // 4.7.0 with OpenSSL's reason when it fails (the connection is then
  // unusable).
  Result<TlsFacts> handshake(const TlsSettings& settings);
  bool tls() const { return ssl_ != nullptr; }

  // Send a message body after the 354: dot-stuffed, CRLF line ends as
  // given, then the end-of-data line, and read the reply.
  Result<SmtpReply> data_body(std::string_view message);

  // QUIT (best effort) and close.
  void quit();

 private:
  explicit SmtpProbe(int fd, std::chrono::milliseconds timeout) : fd_(fd), timeout_(timeout) {}
  Result<std::size_t> read_some(char* buf, std::size_t n);
  Result<std::string> read_line();
  bool wait_readable(std::chrono::milliseconds wait) const;
  bool application_data_waiting() const;

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  ossl::SslCtxPtr ctx_;
  SslPtr ssl_;
  std::string buffer_;  // read but not yet taken
  std::vector<std::string> keywords_;
};

// "TLSv1.1" for TLS1_1_VERSION, ...
std::string_view tls_version_name(int version);

}  // namespace sm::certify
