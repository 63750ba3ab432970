// gateway_http_client_test.cpp - outgoing HTTP(S) for the feed and the
// webhooks: an HTTPS server whose certificate the SecureMail authority
// issued is trusted only when the authority is given as an extra anchor;
// a reply over the size cap fails; a refused connection is an error.
#include "gateway/http_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "gateway_directory_support.h"

using namespace sm;
using namespace sm::gateway;
using sm::gateway::testing::DirectoryWorld;
using sm::gateway::testing::TempDir;

namespace {

config::FeedSource url(const std::string& text) {
  auto u = config::parse_feed_source(text, "/");
  EXPECT_TRUE(u) << text;
  return u ? *u : config::FeedSource{};
}

// An HTTPS server for "localhost" with a certificate from the authority.
struct TlsServer {
  std::unique_ptr<httplib::SSLServer> server;
  std::thread thread;
  int port = 0;

  TlsServer(const std::filesystem::path& dir, const std::filesystem::path& authority_dir) {
    auto authority = pki::Authority::open(authority_dir);
    auto key = pki::generate_key(pki::KeyType::ec_p256);
    pki::GatewayCertRequest req;
    req.domains = {"localhost"};
    req.public_key = key->get();
    auto cert = authority->issue(req);
    EXPECT_TRUE(cert) << (cert ? "" : cert.error().text);
    std::ofstream(dir / "tls.pem") << pki::to_pem(cert->get());
    EXPECT_TRUE(pki::write_private_key(dir / "tls.key", key->get()));
    server = std::make_unique<httplib::SSLServer>((dir / "tls.pem").c_str(), (dir / "tls.key").c_str());
    server->Get("/feed.cms", [](const httplib::Request&, httplib::Response& res) { res.set_content("FEED", "application/pkcs7-mime"); });
    server->Get("/big", [](const httplib::Request&, httplib::Response& res) { res.set_content(std::string(5000, 'x'), "text/plain"); });
    port = server->bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server->listen_after_bind(); });
  }
  ~TlsServer() {
    server->stop();
    thread.join();
  }
};

}  // namespace

TEST(HttpClient, HttpsTrustsTheAuthorityWhenGiven) {
  TempDir tmp;
  DirectoryWorld world(tmp.path);
  TlsServer tls(tmp.path, tmp.path / "Test");
  auto anchors = pki::read_certificates(world.authority_pem());
  ASSERT_TRUE(anchors);
  config::FeedSource feed = url("https://localhost:" + std::to_string(tls.port) + "/feed.cms");

  HttpClientOptions options;
  options.extra_anchors = &*anchors;
  auto r = http_get(feed, {}, options);
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "FEED");

  // The system store alone does not know this authority.
  r = http_get(feed, {}, HttpClientOptions{});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("certificate"), std::string::npos) << r.error().text;

  // Nor does the name 127.0.0.1 match the certificate's "localhost".
  r = http_get(url("https://127.0.0.1:" + std::to_string(tls.port) + "/feed.cms"), {}, options);
  EXPECT_FALSE(r);

  options.max_body = 1000;
  r = http_get(url("https://localhost:" + std::to_string(tls.port) + "/big"), {}, options);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("larger than 1000 bytes"), std::string::npos) << r.error().text;
}

// A webhook subscriber's endpoint answers a POST with an endless body: the
// gateway stops reading at the cap (it read the whole reply before).
TEST(HttpClient, APostReplyIsReadNoFurtherThanTheCap) {
  httplib::Server server;
  std::atomic<std::uint64_t> sent{0};
  std::string seen_type, seen_body;
  server.Post("/hook", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [&](size_t, httplib::DataSink& sink) {
      if (sent >= (256u << 20)) {
        sink.done();
        return true;
      }
      std::string chunk(64 * 1024, 'x');
      sent += chunk.size();
      return sink.write(chunk.data(), chunk.size());
    });
  });
  server.Post("/small", [&](const httplib::Request& req, httplib::Response& res) {
    seen_type = req.get_header_value("Content-Type");
    seen_body = req.body;
    res.set_content("ok", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  HttpClientOptions options;
  options.max_body = 1000;
  auto r = http_post(url("http://127.0.0.1:" + std::to_string(port) + "/small"), "{\"a\":1}", {{"X-Probe", "1"}},
                     options);
  ASSERT_TRUE(r) << r.error().text;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(seen_type, "application/json");
  EXPECT_EQ(seen_body, "{\"a\":1}");
  r = http_post(url("http://127.0.0.1:" + std::to_string(port) + "/hook"), "{}", {}, options);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text.find("larger than 1000 bytes"), std::string::npos) << r.error().text;
  server.stop();
  thread.join();
  EXPECT_LT(sent.load(), 32u << 20) << "the client read on past its cap";
}

TEST(HttpClient, RefusedConnectionIsAnError) {
  auto r = http_get(url("http://127.0.0.1:1/feed.cms"), {}, HttpClientOptions{});
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().text.starts_with("http://127.0.0.1:1/feed.cms: ")) << r.error().text;
}
