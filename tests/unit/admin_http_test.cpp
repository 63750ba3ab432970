// admin_http_test.cpp - /healthz and /metrics over a real loopback socket.
#include "admin/http_server.h"
#include "util/metrics.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>

using namespace sm;

TEST(Admin, HealthzAndMetrics) {
  static metrics::Counter probe("securemail_test_probe_total", "test counter");
  probe.add(41);
  probe.add();
  std::atomic<bool> healthy{true};
  admin::AdminServer server([&] { return admin::Health{healthy, healthy ? "queue writable" : "queue full"}; });
  auto port = server.listen("127.0.0.1", 0);
  ASSERT_TRUE(port);
  httplib::Client client("127.0.0.1", *port);
  auto r = client.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok queue writable\n");
  healthy = false;
  r = client.Get("/healthz");
  EXPECT_EQ(r->status, 503);
  r = client.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("# TYPE securemail_test_probe_total counter\nsecuremail_test_probe_total 42\n"),
            std::string::npos) << r->body;
  r = client.Get("/nope");
  EXPECT_EQ(r->status, 404);
  server.stop();
}

// A reload or SIGTERM may come the moment the listener started: stop()
// must end the listening thread even before it reached its accept loop
// (cpp-httplib ignores a stop() that comes first; the gateway hung in
// join() on a SIGHUP just after "ready").
TEST(Admin, StopRightAfterListenNeverHangs) {
  for (int i = 0; i < 200; ++i) {
    admin::AdminServer server([] { return admin::Health{true, ""}; });
    auto port = server.listen("127.0.0.1", 0);
    ASSERT_TRUE(port) << port.error().text;
    server.stop();
  }
}

TEST(Admin, RoutesSeeCapturesQueryHeadersAndBody) {
  admin::AdminServer server([] { return admin::Health{}; });
  server.handle("GET", R"(/v1/things/([a-z0-9]+))", [](const admin::HttpRequest& req) {
    admin::HttpResponse r;
    r.body = req.captures.at(0) + "|" + req.param("q").value_or("-") + "|" + req.header("X-Probe");
    r.content_type = "text/plain";
    r.headers.emplace_back("ETag", "\"7\"");
    return r;
  });
  server.handle("POST", "/v1/echo", [](const admin::HttpRequest& req) {
    return admin::HttpResponse{201, req.body, "application/json", {}};
  });
  server.handle("DELETE", "/v1/boom", [](const admin::HttpRequest&) -> admin::HttpResponse {
    throw std::runtime_error("handler bug");
  });
  server.handle("GET", "/v1/missing", [](const admin::HttpRequest&) {
    return admin::HttpResponse{404, "{\"error\":\"no such thing\"}", "application/json", {}};
  });
  auto port = server.listen("127.0.0.1", 0);
  ASSERT_TRUE(port);
  httplib::Client client("127.0.0.1", *port);

  auto r = client.Get("/v1/things/ab12?q=x%40y", {{"x-probe", "hello"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ab12|x@y|hello");
  EXPECT_EQ(r->get_header_value("ETag"), "\"7\"");

  r = client.Post("/v1/echo", "{\"a\":1}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "{\"a\":1}");

  // A throwing handler answers 500 and the server keeps serving.
  r = client.Delete("/v1/boom");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, "{\"error\":\"internal error\"}\n");

  // A route's own error body is kept; httplib's own errors become JSON.
  r = client.Get("/v1/missing");
  EXPECT_EQ(r->body, "{\"error\":\"no such thing\"}");
  r = client.Get("/v1/things/UPPER");
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "{\"error\":\"not found\"}\n");
  r = client.Post("/v1/echo", std::string(admin::kMaxRequestBody + 1, 'x'), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);

  r = client.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  server.stop();
}

TEST(Metrics, LabeledCounterRendersOneSeriesPerValue) {
  static metrics::LabeledCounter fetches("securemail_test_fetch_total", "test family", "result", {"ok"});
  fetches.add("rollback");
  fetches.add("rollback");
  EXPECT_EQ(fetches.value("rollback"), 2);
  EXPECT_EQ(fetches.value("ok"), 0);
  std::string text = metrics::render();
  EXPECT_NE(text.find("# TYPE securemail_test_fetch_total counter\n"
                      "securemail_test_fetch_total{result=\"ok\"} 0\n"
                      "securemail_test_fetch_total{result=\"rollback\"} 2\n"),
            std::string::npos) << text;
}

TEST(Admin, EtagMatches) {
  EXPECT_TRUE(admin::etag_matches("\"a\"", "\"a\""));
  EXPECT_TRUE(admin::etag_matches(" \"x\" , W/\"a\"", "\"a\""));
  EXPECT_TRUE(admin::etag_matches("*", "\"a\""));
  EXPECT_FALSE(admin::etag_matches("", "\"a\""));
  EXPECT_FALSE(admin::etag_matches("\"ab\"", "\"a\""));
  EXPECT_FALSE(admin::etag_matches("a", "\"a\""));
}

// answer(): the same server without a socket (what the admin_http fuzz
// target drives): keep-alive requests in one go, httplib's own errors and
// a throwing route get JSON bodies.
TEST(Admin, AnswerServesOneConnectionInMemory) {
  admin::AdminServer server([] { return admin::Health{true, "fine"}; });
  server.handle("POST", "/v1/fail", [](const admin::HttpRequest&) -> admin::HttpResponse {
    throw std::runtime_error("boom");
  });
  std::string out = server.answer(
      "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /v1/fail HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
  EXPECT_NE(out.find("ok fine\n"), std::string::npos) << out;
  EXPECT_NE(out.find("HTTP/1.1 404 Not Found\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("{\"error\":\"not found\"}"), std::string::npos) << out;
  EXPECT_NE(out.find("HTTP/1.1 500 Internal Server Error\r\n"), std::string::npos) << out;
  EXPECT_TRUE(server.answer("").empty());
  EXPECT_TRUE(server.answer("GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400 Bad Request\r\n"));
}
