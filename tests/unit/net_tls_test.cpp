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

#include "pki/openssl.h"
#include "net/tls.h"

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

TEST_F(TlsTest, HandshakeBetweenServerAndClientContexts) {
  auto cert = dir / "cert.pem", key = dir / "key.pem";
  ASSERT_TRUE(sm::net::ensure_self_signed(cert, key, "localhost"));
  auto server_ctx = sm::net::server_tls_context(cert, key);
  ASSERT_TRUE(server_ctx) << server_ctx.error().text;
  auto client_ctx = sm::net::client_tls_context();

  asio::io_context io;
  asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ssl::stream<asio::ip::tcp::socket> srv(io, **server_ctx), cli(io, *client_ctx);
  std::error_code sec, cec;
  acc.async_accept(srv.next_layer(), [&](std::error_code ec) {
    if (ec) return;
    srv.async_handshake(asio::ssl::stream_base::server, [&](std::error_code e) { sec = e; });
  });
  cli.next_layer().async_connect(acc.local_endpoint(), [&](std::error_code ec) {
    if (ec) return void(cec = ec);
    cli.async_handshake(asio::ssl::stream_base::client, [&](std::error_code e) { cec = e; });
  });
  io.run_for(std::chrono::seconds(5));
  EXPECT_FALSE(sec) << sec.message();
  EXPECT_FALSE(cec) << cec.message();
  EXPECT_GE(SSL_version(cli.native_handle()), TLS1_2_VERSION);

  // A verifying client rejects the self-signed certificate.
  auto verifying = sm::net::client_tls_context(sm::net::ClientTlsPolicy{true, cert.string()});
  ASSERT_TRUE(verifying);
  auto bad_ca = sm::net::client_tls_context(sm::net::ClientTlsPolicy{true, (dir / "nope.pem").string()});
  EXPECT_FALSE(bad_ca);
}
