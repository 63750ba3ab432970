// net_tls_test.cpp - self-signed certificate generation and the TLS
// contexts built from it, including a real handshake over loopback.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "net/tls.h"
#include "pki/certificate.h"
#include "pki/openssl.h"

namespace fs = std::filesystem;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("sm_tls_" + std::to_string(::getpid()));
    fs::remove_all(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

TEST_F(TlsTest, GeneratesKeyAndCertificateOnce) {
  auto cert = dir / "tls" / "cert.pem", key = dir / "tls" / "key.pem";
  auto r = sm::net::ensure_self_signed(cert, key, "mail.example.test");
  ASSERT_TRUE(r) << r.error().text;
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto mtime = fs::last_write_time(cert);

  sm::ossl::BioPtr bio(BIO_new_file(cert.c_str(), "r"));
  ASSERT_TRUE(bio);
  sm::ossl::X509Ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(x);
  EXPECT_EQ(X509_check_host(x.get(), "mail.example.test", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(x.get(), "other.example.test", 0, 0, nullptr), 1);
  sm::ossl::EvpPkeyPtr pk(X509_get_pubkey(x.get()));
  EXPECT_EQ(EVP_PKEY_get_base_id(pk.get()), EVP_PKEY_EC);
  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x.get()), X509_get0_notAfter(x.get())), 1);
  EXPECT_GE(days, 364);
  EXPECT_LE(days, 366);

  ASSERT_TRUE(sm::net::ensure_self_signed(cert, key, "mail.example.test"));
  EXPECT_EQ(fs::last_write_time(cert), mtime);  // not regenerated
  for (auto& e : fs::directory_iterator(dir / "tls")) {
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos);  // no leftovers
  }
}

TEST_F(TlsTest, RefusesToOverwriteHalfPair) {
  fs::create_directories(dir);
  std::ofstream(dir / "key.pem") << "secret";
  auto r = sm::net::ensure_self_signed(dir / "cert.pem", dir / "key.pem", "h");
  ASSERT_FALSE(r);
  std::ifstream in(dir / "key.pem");
  std::string s;
  in >> s;
  EXPECT_EQ(s, "secret");
}

TEST_F(TlsTest, ServerContextErrorsNameTheFile) {
  auto r = sm::net::server_tls_context(dir / "missing.pem", dir / "key.pem");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("missing.pem"), std::string::npos);
  fs::create_directories(dir);
  std::ofstream(dir / "garbage.pem") << "not a certificate";
  std::ofstream(dir / "key.pem") << "not a key";
  auto g = sm::net::server_tls_context(dir / "garbage.pem", dir / "key.pem");
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().text.find("garbage.pem"), std::string::npos);
}

namespace {

using SslSessionPtr = std::unique_ptr<SSL_SESSION, sm::ossl::OpensslDeleter<SSL_SESSION_free>>;

// What one loopback handshake between two contexts came to.
struct Handshake {
  std::error_code server = asio::error::timed_out, client = asio::error::timed_out;
  std::string server_saw;  // fingerprint of the client certificate as the server got it
  bool resumed = false;
  int version = 0;
  SslSessionPtr session;  // the client's, to resume with
};

Handshake handshake(asio::ssl::context& server_ctx, asio::ssl::context& client_ctx,
                    SSL_SESSION* resume = nullptr) {
  asio::io_context io;
  asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ssl::stream<asio::ip::tcp::socket> srv(io, server_ctx), cli(io, client_ctx);
  if (resume != nullptr) SSL_set_session(cli.native_handle(), resume);
  Handshake h;
  acc.async_accept(srv.next_layer(), [&](std::error_code ec) {
    if (ec) return void(h.server = ec);
    srv.async_handshake(asio::ssl::stream_base::server, [&](std::error_code e) { h.server = e; });
  });
  cli.next_layer().async_connect(acc.local_endpoint(), [&](std::error_code ec) {
    if (ec) return void(h.client = ec);
    cli.async_handshake(asio::ssl::stream_base::client, [&](std::error_code e) { h.client = e; });
  });
  io.run_for(std::chrono::seconds(5));  // returns as soon as both handshakes are done
  h.server_saw = sm::net::peer_certificate_sha256(srv.native_handle());
  h.resumed = SSL_session_reused(cli.native_handle()) == 1;
  h.version = SSL_version(cli.native_handle());
  h.session.reset(SSL_get1_session(cli.native_handle()));
  // Closing without close_notify would mark the session unresumable.
  for (SSL* ssl : {srv.native_handle(), cli.native_handle()}) {
    SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }
  return h;
}

std::string fingerprint_of(const fs::path& cert) {
  auto x = sm::pki::read_certificate(cert);
  return x ? sm::pki::fingerprint(x->get()) : "unreadable " + cert.string();
}

}  // namespace

TEST_F(TlsTest, HandshakeBetweenServerAndClientContexts) {
  auto cert = dir / "cert.pem", key = dir / "key.pem";
  ASSERT_TRUE(sm::net::ensure_self_signed(cert, key, "localhost"));
  auto server_ctx = sm::net::server_tls_context(cert, key);
  ASSERT_TRUE(server_ctx) << server_ctx.error().text;
  auto client_ctx = sm::net::client_tls_context();

  // The server asks for a client certificate; a client without one is
  // still welcome.
  auto h = handshake(**server_ctx, *client_ctx);
  EXPECT_FALSE(h.server) << h.server.message();
  EXPECT_FALSE(h.client) << h.client.message();
  EXPECT_GE(h.version, TLS1_2_VERSION);
  EXPECT_EQ(h.server_saw, "");

  // A verifying client rejects the self-signed certificate.
  auto verifying = sm::net::client_tls_context(sm::net::ClientTlsPolicy{true, cert.string()});
  ASSERT_TRUE(verifying);
  auto bad_ca = sm::net::client_tls_context(sm::net::ClientTlsPolicy{true, (dir / "nope.pem").string()});
  EXPECT_FALSE(bad_ca);
}

TEST_F(TlsTest, ServerSeesClientCertificateItDoesNotVerify) {
  auto cert = dir / "cert.pem", key = dir / "key.pem";
  auto ccert = dir / "client" / "cert.pem", ckey = dir / "client" / "key.pem";
  ASSERT_TRUE(sm::net::ensure_self_signed(cert, key, "gw.b.example"));
  ASSERT_TRUE(sm::net::ensure_self_signed(ccert, ckey, "gw.a.example"));  // self-signed: unverifiable
  sm::net::ClientTlsPolicy policy;
  policy.cert_file = ccert;
  policy.key_file = ckey;
  auto client_ctx = sm::net::client_tls_context(policy);
  ASSERT_TRUE(client_ctx) << client_ctx.error().text;

  auto asking = sm::net::server_tls_context(cert, key);
  ASSERT_TRUE(asking) << asking.error().text;
  auto h = handshake(**asking, **client_ctx);
  ASSERT_FALSE(h.server) << h.server.message();
  ASSERT_FALSE(h.client) << h.client.message();
  EXPECT_EQ(h.server_saw.size(), 64u);
  EXPECT_EQ(h.server_saw, fingerprint_of(ccert));
  EXPECT_NE(h.server_saw, fingerprint_of(cert));

  auto ignoring = sm::net::server_tls_context(cert, key, sm::net::ClientCertificates::ignore);
  ASSERT_TRUE(ignoring) << ignoring.error().text;
  auto quiet = handshake(**ignoring, **client_ctx);
  ASSERT_FALSE(quiet.server) << quiet.server.message();
  EXPECT_EQ(quiet.server_saw, "");  // never asked, so never shown
}

// Asking for client certificates must not break session resumption (it
// does when the server has no session id context), and a resumed session
// still carries the client's certificate.
TEST_F(TlsTest, ResumedSessionKeepsClientCertificate) {
  auto cert = dir / "cert.pem", key = dir / "key.pem";
  auto ccert = dir / "client" / "cert.pem", ckey = dir / "client" / "key.pem";
  ASSERT_TRUE(sm::net::ensure_self_signed(cert, key, "gw.b.example"));
  ASSERT_TRUE(sm::net::ensure_self_signed(ccert, ckey, "gw.a.example"));
  auto server_ctx = sm::net::server_tls_context(cert, key);
  ASSERT_TRUE(server_ctx) << server_ctx.error().text;
  sm::net::ClientTlsPolicy policy;
  policy.cert_file = ccert;
  policy.key_file = ckey;
  auto client_ctx = sm::net::client_tls_context(policy);
  ASSERT_TRUE(client_ctx) << client_ctx.error().text;
  // TLS 1.2 hands the client its session (ticket) within the handshake.
  SSL_CTX_set_max_proto_version((*client_ctx)->native_handle(), TLS1_2_VERSION);

  auto first = handshake(**server_ctx, **client_ctx);
  ASSERT_FALSE(first.server) << first.server.message();
  ASSERT_TRUE(first.session);
  EXPECT_FALSE(first.resumed);
  auto again = handshake(**server_ctx, **client_ctx, first.session.get());
  ASSERT_FALSE(again.server) << again.server.message();
  ASSERT_FALSE(again.client) << again.client.message();
  EXPECT_TRUE(again.resumed);
  EXPECT_EQ(again.server_saw, fingerprint_of(ccert));
}

TEST_F(TlsTest, ClientCertificateErrorsNameTheFile) {
  auto cert = dir / "cert.pem", key = dir / "key.pem";
  auto other_cert = dir / "other" / "cert.pem", other_key = dir / "other" / "key.pem";
  ASSERT_TRUE(sm::net::ensure_self_signed(cert, key, "gw.a.example"));
  ASSERT_TRUE(sm::net::ensure_self_signed(other_cert, other_key, "gw.c.example"));
  auto policy_for = [](fs::path c, fs::path k) {
    sm::net::ClientTlsPolicy p;
    p.cert_file = std::move(c);
    p.key_file = std::move(k);
    return p;
  };

  auto missing = sm::net::client_tls_context(policy_for(dir / "missing.pem", key));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().text.find("missing.pem"), std::string::npos) << missing.error().text;

  std::ofstream(dir / "garbage.pem") << "not a certificate";
  auto garbage = sm::net::client_tls_context(policy_for(dir / "garbage.pem", key));
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().text.find("garbage.pem"), std::string::npos) << garbage.error().text;

  auto mismatched = sm::net::client_tls_context(policy_for(cert, other_key));
  ASSERT_FALSE(mismatched);
  EXPECT_NE(mismatched.error().text.find(other_key.string()), std::string::npos) << mismatched.error().text;
  EXPECT_NE(mismatched.error().text.find("mismatch"), std::string::npos) << mismatched.error().text;

  auto half = sm::net::client_tls_context(policy_for(cert, {}));
  ASSERT_FALSE(half);
  EXPECT_NE(half.error().text.find(cert.string()), std::string::npos) << half.error().text;

  EXPECT_TRUE(sm::net::client_tls_context(policy_for(cert, key)));
}
