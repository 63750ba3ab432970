// app_doctor_checks_test.cpp - doctor's thresholds (certificate expiry:
// FAIL expired, WARN < 30 days; disk: WARN > 80%, FAIL > 95%) and its TCP
// reachability probe (a listening socket OK, a closed port refused).
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "app/doctor_checks.h"

using namespace sm;
using Status = app::DoctorCheck::Status;

TEST(DoctorChecks, Expiry) {
  const std::int64_t now = 1'800'000'000;
  EXPECT_EQ(app::expiry_check("c", "cert", now - 1, now).status, Status::fail);
  EXPECT_EQ(app::expiry_check("c", "cert", now + 29 * 86400, now).status, Status::warn);
  auto ok = app::expiry_check("c", "cert", now + 31 * 86400, now);
  EXPECT_EQ(ok.status, Status::ok);
  EXPECT_NE(ok.detail.find("31 more days"), std::string::npos) << ok.detail;
  EXPECT_TRUE(ok.fix.empty());
}

TEST(DoctorChecks, Disk) {
  EXPECT_EQ(app::disk_check("d", 100, 50).status, Status::ok);
  EXPECT_EQ(app::disk_check("d", 100, 20).status, Status::ok);     // 80% used
  EXPECT_EQ(app::disk_check("d", 100, 19).status, Status::warn);   // 81%
  EXPECT_EQ(app::disk_check("d", 100, 5).status, Status::warn);    // 95%
  EXPECT_EQ(app::disk_check("d", 100, 4).status, Status::fail);    // 96%
  EXPECT_EQ(app::disk_check("d", 0, 0).status, Status::warn);
  EXPECT_EQ(app::to_string(Status::fail), "FAIL");
}

TEST(DoctorChecks, TryConnect) {
  asio::io_context io;
  asio::ip::tcp::acceptor open(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::uint16_t listening = open.local_endpoint().port();
  std::uint16_t closed = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    closed = probe.local_endpoint().port();
  }
  auto r = app::try_connect({{"127.0.0.1", listening}, {"127.0.0.1", closed}}, std::chrono::milliseconds(2000));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], "");
  EXPECT_NE(r[1], "");
}
