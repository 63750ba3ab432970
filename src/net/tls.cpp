// tls.cpp - TLS context construction and development certificate
// generation (see tls.h).
#include "net/tls.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "pki/certificate.h"
#include "pki/openssl.h"

namespace sm::net {

using namespace sm::ossl;

namespace {

// Mozilla "intermediate" TLS 1.2 suites; TLS 1.3 suites are OpenSSL's default.
constexpr const char* kServerCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";
// Client side is opportunistic: anything forward-secret or not beats
// plain text, but never the broken ones.
constexpr const char* kClientCiphers = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:!DSS";

std::string errno_text(int err) { return std::strerror(err); }

Result<void> check_readable(const std::filesystem::path& p, const char* what) {
  if (::access(p.c_str(), R_OK) != 0) {
    return local_error(std::string("cannot read TLS ") + what + " file " + p.string() + ": " +
                       errno_text(errno));
  }
  return {};
}

// Write `data` to `path` via a temporary file in the same folder: fsync,
// rename, fsync the folder. The file gets `mode` from creation on.
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view data,
                               mode_t mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return local_error("cannot create " + tmp.string() + ": " + errno_text(errno));
  auto fail_with = [&](const std::string& what) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return local_error(what + " " + tmp.string() + ": " + errno_text(err));
  };
  if (::fchmod(fd, mode) != 0) return fail_with("cannot chmod");
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_with("cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail_with("cannot fsync");
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return local_error("cannot close " + tmp.string() + ": " + errno_text(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return local_error("cannot rename " + tmp.string() + " to " + path.string() + ": " +
                       errno_text(err));
  }
  auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, n > 0 ? static_cast<std::size_t>(n) : 0);
}

Result<void> add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return local_error(std::string("cannot add certificate extension ") + OBJ_nid2sn(nid) + ": " +
                       openssl_error());
  }
  return {};
}

// Load our certificate chain and its private key into `ctx`; errors name
// the file at fault.
Result<void> use_certificate_and_key(asio::ssl::context& ctx, const std::filesystem::path& cert_path,
                                     const std::filesystem::path& key_path) {
  if (auto r = check_readable(cert_path, "certificate"); !r) return r;
  if (auto r = check_readable(key_path, "key"); !r) return r;
  ERR_clear_error();
  std::error_code ec;
  ctx.use_certificate_chain_file(cert_path.string(), ec);
  if (ec) {
    return local_error("cannot load TLS certificate file " + cert_path.string() + ": " +
                       openssl_error(ec.message().c_str()));
  }
  ctx.use_private_key_file(key_path.string(), asio::ssl::context::pem, ec);
  if (ec) {
    return local_error("cannot load TLS key file " + key_path.string() + ": " +
                       openssl_error(ec.message().c_str()));
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    return local_error("TLS key file " + key_path.string() + " does not match certificate file " +
                       cert_path.string());
  }
  return {};
}

void harden(asio::ssl::context& ctx) {
  SSL_CTX* c = ctx.native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> server_tls_context(
    const std::filesystem::path& cert_path, const std::filesystem::path& key_path,
    ClientCertificates client_certificates) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  harden(*ctx);
  SSL_CTX* c = ctx->native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_cipher_list(c, kServerCiphers) != 1) {
    return local_error("cannot set TLS cipher list: " + openssl_error());
  }
  // Without a session id context OpenSSL refuses to resume sessions once
  // peer verification is on ("session id context uninitialized").
  static const unsigned char sid[] = "securemail";
  SSL_CTX_set_session_id_context(c, sid, sizeof sid - 1);
  if (client_certificates == ClientCertificates::ask) {
    // Ask, never require (no SSL_VERIFY_FAIL_IF_NO_PEER_CERT), and accept
    // whatever comes: the chain means nothing here, only the fingerprint
    // the handler compares with the directory. No CA list is sent, so a
    // client offers whichever certificate it has.
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE,
                       [](int, X509_STORE_CTX*) { return 1; });
  }
  if (auto r = use_certificate_and_key(*ctx, cert_path, key_path); !r) {
    return std::unexpected(r.error());
  }
  return ctx;
}

std::shared_ptr<asio::ssl::context> client_tls_context() {
  auto r = client_tls_context(ClientTlsPolicy{});
  // Without a CA file nothing can fail but the cipher list, which is constant.
  return r ? *r : std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
}

Result<std::shared_ptr<asio::ssl::context>> client_tls_context(const ClientTlsPolicy& policy) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  harden(*ctx);
  ERR_clear_error();
  if (SSL_CTX_set_cipher_list(ctx->native_handle(), kClientCiphers) != 1) {
    return local_error("cannot set TLS cipher list: " + openssl_error());
  }
  if (policy.cert_file.empty() != policy.key_file.empty()) {
    return local_error("TLS client " +
                       (policy.cert_file.empty() ? "key file " + policy.key_file.string()
                                                 : "certificate file " + policy.cert_file.string()) +
                       " given without its " + (policy.cert_file.empty() ? "certificate" : "key") +
                       " file");
  }
  if (!policy.cert_file.empty()) {
    if (auto r = use_certificate_and_key(*ctx, policy.cert_file, policy.key_file); !r) {
      return std::unexpected(r.error());
    }
  }
  if (!policy.verify) {
    ctx->set_verify_mode(asio::ssl::verify_none);
    return ctx;
  }
  std::error_code ec;
  if (policy.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(policy.ca_file, ec);
  }
  if (ec) {
    return local_error("cannot load TLS CA file " +
                       (policy.ca_file.empty() ? std::string("(system default)") : policy.ca_file) +
                       ": " + openssl_error(ec.message().c_str()));
  }
  ctx->set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

std::string peer_certificate_sha256(const SSL* ssl) {
  if (ssl == nullptr) return {};
  return pki::fingerprint(SSL_get0_peer_certificate(ssl));
}

Result<void> ensure_self_signed(const std::filesystem::path& cert_path,
                                const std::filesystem::path& key_path,
                                const std::string& hostname) {
  std::error_code ec;
  bool have_cert = std::filesystem::exists(cert_path, ec);
  bool have_key = std::filesystem::exists(key_path, ec);
  if (have_cert && have_key) return {};
  if (have_cert != have_key) {
    return local_error("TLS " + std::string(have_cert ? "certificate " + cert_path.string()
                                                      : "key " + key_path.string()) +
                       " exists but " +
                       (have_cert ? "key " + key_path.string() : "certificate " + cert_path.string()) +
                       " does not; refusing to generate over it");
  }
  if (hostname.empty() || hostname.find_first_of(",\r\n") != std::string::npos) {
    return local_error("bad host name for self-signed certificate: '" + hostname + "'");
  }
  ERR_clear_error();
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return local_error("cannot generate EC P-256 key: " + openssl_error());

  X509Ptr cert(X509_new());
  if (!cert) return local_error("cannot allocate certificate: " + openssl_error());
  X509_set_version(cert.get(), 2);  // v3
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return local_error("RAND_bytes: " + openssl_error());
  serial[0] &= 0x7f;  // positive
  BignumPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  Asn1IntegerPtr asn_serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!asn_serial || X509_set_serialNumber(cert.get(), asn_serial.get()) != 1) {
    return local_error("cannot set certificate serial: " + openssl_error());
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key.get()) != 1) {
    return local_error("cannot fill certificate: " + openssl_error());
  }
  std::string san = "DNS:" + hostname;
  for (auto [nid, value] : {std::pair<int, const char*>{NID_subject_alt_name, san.c_str()},
                            {NID_basic_constraints, "critical,CA:FALSE"},
                            {NID_key_usage, "critical,digitalSignature"},
                            {NID_ext_key_usage, "serverAuth"},
                            {NID_subject_key_identifier, "hash"}}) {
    if (auto r = add_ext(cert.get(), nid, value); !r) return r;
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return local_error("cannot sign certificate: " + openssl_error());
  }

  BioPtr key_bio(BIO_new(BIO_s_mem())), cert_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || !cert_bio ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1) {
    return local_error("cannot encode key or certificate: " + openssl_error());
  }
  for (const auto& p : {cert_path, key_path}) {
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  }
  if (auto r = write_file_atomic(key_path, bio_text(key_bio.get()), 0600); !r) return r;
  if (auto r = write_file_atomic(cert_path, bio_text(cert_bio.get()), 0644); !r) {
    ::unlink(key_path.c_str());
    return r;
  }
  return {};
}

}  // namespace sm::net
