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
