// util_log_syslog_test.cpp - [log] syslog: lines reach a real datagram
// socket with the facility and severity in <PRI>, addresses hashed like
// every other sink, one line per datagram; an absent socket drops lines
// (counted) and never blocks, and lines flow again once it is there.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "temp_dir.h"
#include "util/log.h"
#include "util/log_privacy.h"
#include "util/log_syslog.h"

using namespace sm::log;

namespace {

// A bound SOCK_DGRAM socket standing in for /dev/log.
struct SyslogDaemon {
  explicit SyslogDaemon(const std::filesystem::path& path) {
    fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~SyslogDaemon() { ::close(fd); }
  std::string next() {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
  int fd = -1;
};

}  // namespace

TEST(LogSyslog, Facilities) {
  EXPECT_EQ(syslog_facility("mail"), 2);
  EXPECT_EQ(syslog_facility("daemon"), 3);
  EXPECT_EQ(syslog_facility("user"), 1);
  EXPECT_EQ(syslog_facility("local0"), 16);
  EXPECT_EQ(syslog_facility("local7"), 23);
  EXPECT_EQ(syslog_facility("local8"), std::nullopt);
  EXPECT_EQ(syslog_facility("Mail"), std::nullopt);
  EXPECT_EQ(syslog_facility(""), std::nullopt);
}

TEST(LogSyslog, LinesReachTheSocketHashedOnePerDatagram) {
  sm::test_support::TempDir dir("sm-syslog");
  const auto path = dir.path / "log.sock";
  const std::uint64_t dropped_before = syslog_dropped();
  Privacy p;
  p.hash_addresses = true;
  p.key = std::string(32, 'k');
  p.syslog = path.string();
  p.syslog_facility = 2;  // mail
  ASSERT_TRUE(setup("info", p));
  info("before the daemon: lost, never blocking");
  EXPECT_EQ(syslog_dropped(), dropped_before + 1);
  {
    SyslogDaemon daemon(path);
    warn("ID9: from=<carol@c.example>\nsecond line");
    info("ID9: delivered");
    std::string first = daemon.next(), second = daemon.next();
    ASSERT_TRUE(setup("info", {}));  // plain stderr again
    EXPECT_TRUE(first.starts_with("<20>")) << first;  // mail (2) * 8 + warning (4)
    EXPECT_NE(first.find(" securemail[" + std::to_string(::getpid()) + "]: ID9: from=<h:"), std::string::npos) << first;
    EXPECT_EQ(first.find("carol"), std::string::npos) << first;
    EXPECT_EQ(first.find('\n'), std::string::npos) << "one line per datagram";
    EXPECT_NE(first.find(" second line"), std::string::npos) << first;
    EXPECT_TRUE(second.starts_with("<22>")) << second;  // mail * 8 + info (6)
    EXPECT_TRUE(second.ends_with("]: ID9: delivered")) << second;
  }
  EXPECT_EQ(syslog_dropped(), dropped_before + 1);
}
