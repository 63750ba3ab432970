// admin_request_body_test.cpp - the one rule for request bodies on every
// httplib listener (http_socket.h), over real sockets: a body without a
// Content-Length gets 411 unread (httplib would read a chunked body whole,
// past any limit), and a body over a limit is answered after it was read,
// so the client gets the 413 instead of a reset connection.
#include "admin/http_server.h"
#include "admin/web_https.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>

#include "temp_dir.h"

using namespace sm;
namespace fs = std::filesystem;

namespace {

// A chunked POST: a content provider without a length.
httplib::Result post_chunked(httplib::ClientImpl& client, const std::string& path, std::size_t octets) {
  auto sent = std::make_shared<std::size_t>(0);
  return client.Post(
      path,
      [sent, octets](size_t, httplib::DataSink& sink) {
        if (*sent >= octets) {
          sink.done();
          return true;
        }
        std::string chunk(64 * 1024, 'c');
        *sent += chunk.size();
        return sink.write(chunk.data(), chunk.size());
      },
      "application/octet-stream");
}

class WebListener : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = dir_.path / "cert.pem";
    key_ = dir_.path / "key.pem";
    std::string make = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost"
                       " -keyout " + key_.string() + " -out " + cert_.string() + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(make.c_str()), 0);
    listener_ = std::make_unique<admin::HttpsListener>("web", "__Host-t", [this](const admin::WebRequest& req) {
      ++handled_;
      admin::WebResponse r;
      r.body = req.path + " " + std::to_string(req.files.empty() ? req.form.size() : req.files[0].content.size());
      if (req.path == "/denied") r.status = 403;
      return r;
    });
    listener_->allow_large_body("/upload", 1024 * 1024, "<p>too large</p>");
    auto port = listener_->listen("127.0.0.1", 0, cert_, key_);
    ASSERT_TRUE(port) << port.error().text;
    client_ = std::make_unique<httplib::SSLClient>("127.0.0.1", *port);
    client_->enable_server_certificate_verification(false);
  }
  void TearDown() override { listener_->stop(); }

  test_support::TempDir dir_{"sm-web-body"};
  fs::path cert_, key_;
  std::atomic<int> handled_{0};
  std::unique_ptr<admin::HttpsListener> listener_;
  std::unique_ptr<httplib::SSLClient> client_;
};

}  // namespace

TEST_F(WebListener, AFormWithinItsLimitReachesThePage) {
  auto r = client_->Post("/sign-in", "code=123456", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value_count("Content-Security-Policy"), 1u);
  EXPECT_EQ(r->body, "/sign-in 1");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
}

// A page's own error keeps its body and has each security header once.
TEST_F(WebListener, APagesOwnErrorIsLeftAsItIs) {
  auto r = client_->Post("/denied", "a=1", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->body, "/denied 1");
  EXPECT_EQ(r->get_header_value_count("Content-Security-Policy"), 1u);
  EXPECT_EQ(r->get_header_value_count("Cache-Control"), 1u);
}

// Larger than any socket buffer: answered before it was read, the client
// would see a reset while still sending (the CI failure of stop 31).
TEST_F(WebListener, AFormOverItsLimitGets413AfterItWasRead) {
  for (int i = 0; i < 3; ++i) {
    auto r = client_->Post("/sign-in", "code=" + std::string(900 * 1024, '1'), "application/x-www-form-urlencoded");
    ASSERT_TRUE(r) << "try " << i << ": " << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(r->body, "request too large\n");
  }
  EXPECT_EQ(handled_, 0);
}

TEST_F(WebListener, OnlyTheUploadPathTakesALargeBodyAndNoMoreThanItsLimit) {
  httplib::MultipartFormDataItems parts{{"attachment", std::string(200 * 1024, 'a'), "a.bin", "application/octet-stream"}};
  auto r = client_->Post("/upload", parts);
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "/upload 204800");
  r = client_->Post("/other", parts);
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 413);
  parts[0].content.assign(3 * 1024 * 1024, 'a');
  r = client_->Post("/upload", parts);
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->body, "<p>too large</p>");
  EXPECT_EQ(r->get_header_value("Strict-Transport-Security"), "max-age=31536000");
  EXPECT_EQ(handled_, 1);
}

// Before: 8 MiB chunked reached the upload page whole, past its 1 MiB.
TEST_F(WebListener, AChunkedBodyGets411AndIsNeverRead) {
  for (std::string path : {"/upload", "/sign-in"}) {
    auto r = post_chunked(*client_, path, 8 * 1024 * 1024);
    if (r) {  // or the connection ends while still sending; never a 200
      EXPECT_EQ(r->status, 411) << path;
      EXPECT_EQ(r->get_header_value_count("Content-Security-Policy"), 1u);
    }
  }
  EXPECT_EQ(handled_, 0);
  auto r = client_->Post("/sign-in", "code=1", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(AdminListener, AChunkedBodyGets411AndALongOneA413AfterItWasRead) {
  admin::AdminServer server([] { return admin::Health{}; });
  std::atomic<int> handled{0};
  server.handle("POST", "/v1/echo", [&](const admin::HttpRequest& req) {
    ++handled;
    return admin::HttpResponse{200, std::to_string(req.body.size()), "text/plain", {}};
  });
  auto port = server.listen("127.0.0.1", 0);
  ASSERT_TRUE(port);
  httplib::ClientImpl client("127.0.0.1", *port);
  auto r = post_chunked(client, "/v1/echo", 8 * 1024 * 1024);
  if (r) {
    EXPECT_EQ(r->status, 411);
  }
  r = client.Post("/v1/echo", std::string(2 * admin::kMaxRequestBody, 'x'), "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->body, "{\"error\":\"request body too large\"}\n");
  r = client.Post("/v1/echo", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "2");
  EXPECT_EQ(handled, 1);
  server.stop();
}
