// tls.h - TLS contexts for the SMTP server and the SMTP client, and a
// development self-signed certificate when the operator has none yet.
//
// Server: TLS 1.2+, forward-secret AEAD ciphers only. It asks the client
// for a certificate (Postfix's smtpd_tls_ask_ccert) so a member gateway or
// a customer's mail server can be recognised by it, but never requires or
// verifies one: the handshake succeeds with any certificate or none, and
// the caller compares the fingerprint with what it trusts (the directory).
// Client: opportunistic STARTTLS (RFC 3207) without verification by
// default, as Postfix's "smtp_tls_security_level = may"; a ClientTlsPolicy
// turns verification on and may present our own certificate.
#pragma once

#include <openssl/ssl.h>

#include <asio/ssl/context.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "util/error.h"

namespace sm::net {

// Whether a server context asks the client for a certificate. `ask` never
// makes one mandatory and accepts any (unverified); `ignore` is for
// listeners whose clients are desktop mail programs, some of which put a
// certificate-selection dialog in front of the user when asked.
enum class ClientCertificates { ask, ignore };

// TLS server context from a PEM certificate chain and a PEM private key.
// Errors name the file that could not be used.
Result<std::shared_ptr<asio::ssl::context>> server_tls_context(
    const std::filesystem::path& cert_path, const std::filesystem::path& key_path,
    ClientCertificates client_certificates = ClientCertificates::ask);

// When neither file exists: generate an EC P-256 key and a self-signed
// certificate for `hostname` (CN and SAN dNSName, valid one year) and write
// both atomically (key mode 0600, certificate 0644). When both exist:
// nothing. When only one exists: an error (never overwrite a real key).
Result<void> ensure_self_signed(const std::filesystem::path& cert_path,
                                const std::filesystem::path& key_path,
                                const std::string& hostname);

// How a client connection authenticates its peer.
struct ClientTlsPolicy {
  bool verify = false;     // verify the chain (and, per connection, the name)
  std::string ca_file;     // PEM bundle; empty: the system default paths
  // Our client certificate (PEM, may include the chain) and its key, shown
  // when the server asks: a member gateway presents its gateway
  // certificate. Both or neither.
  std::filesystem::path cert_file, key_file;
};

// Opportunistic client context: TLS 1.2+, no peer verification. Shared by
// all outbound connections.
std::shared_ptr<asio::ssl::context> client_tls_context();

// Client context for a given policy; errors if the CA file or the client
// certificate or key cannot be loaded (naming the file).
// With verify set, the caller also sets the expected host name on each
// stream (asio::ssl::host_name_verification / SSL_set1_host).
Result<std::shared_ptr<asio::ssl::context>> client_tls_context(const ClientTlsPolicy& policy);

// SHA-256 fingerprint (pki::fingerprint: lower-case hex over the DER) of
// the certificate the peer of this established connection presented;
// empty when it presented none.
std::string peer_certificate_sha256(const SSL* ssl);

}  // namespace sm::net
