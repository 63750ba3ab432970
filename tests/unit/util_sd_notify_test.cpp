// util_sd_notify_test.cpp - the sd_notify datagrams arrive on a real
// socket (path and abstract), and the watchdog period from the environment.
#include "util/sd_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace sm::sd {
namespace {

// A datagram socket bound to `name` ("/path" or "@abstract"), as systemd's.
class NotifySocket {
 public:
  explicit NotifySocket(std::string name) : name_(std::move(name)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name_.data(), name_.size());
    if (name_[0] == '@') addr.sun_path[0] = '\0';
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    timeval tv{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() {
    ::close(fd_);
    if (name_[0] == '/') ::unlink(name_.c_str());
  }
  bool bound() const { return bound_; }
  std::string receive() {
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
};

std::string temp_socket_path() {
  return (std::filesystem::temp_directory_path() / ("sm-notify-" + std::to_string(::getpid()))).string();
}

TEST(SdNotify, SendsToAPathSocket) {
  NotifySocket socket(temp_socket_path());
  ASSERT_TRUE(socket.bound());
  ASSERT_TRUE(notify_to(temp_socket_path(), "READY=1\nSTATUS=listening"));
  EXPECT_EQ(socket.receive(), "READY=1\nSTATUS=listening");
}

TEST(SdNotify, SendsToAnAbstractSocketNamedInTheEnvironment) {
  std::string name = "@sm-notify-test-" + std::to_string(::getpid());
  NotifySocket socket(name);
  ASSERT_TRUE(socket.bound());
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  auto sent = notify("WATCHDOG=1");
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(sent);
  EXPECT_TRUE(*sent);
  EXPECT_EQ(socket.receive(), "WATCHDOG=1");
}

TEST(SdNotify, DoesNothingOutsideSystemd) {
  ::unsetenv("NOTIFY_SOCKET");
  auto sent = notify("READY=1");
  ASSERT_TRUE(sent);
  EXPECT_FALSE(*sent);
}

TEST(SdNotify, NamesABadOrMissingSocket) {
  auto relative = notify_to("relative/path", "READY=1");
  ASSERT_FALSE(relative);
  EXPECT_NE(relative.error().text.find("relative/path"), std::string::npos);
  auto missing = notify_to(temp_socket_path() + "-missing", "READY=1");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().text.find("-missing"), std::string::npos);
  EXPECT_FALSE(notify_to("/" + std::string(200, 'x'), "READY=1"));
}

TEST(SdNotify, WatchdogEveryHalfOfWatchdogUsec) {
  ::unsetenv("WATCHDOG_PID");
  ::unsetenv("WATCHDOG_USEC");
  auto off = watchdog_interval();
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->has_value());

  ::setenv("WATCHDOG_USEC", "3000000", 1);
  auto on = watchdog_interval();
  ASSERT_TRUE(on);
  ASSERT_TRUE(on->has_value());
  EXPECT_EQ(**on, std::chrono::microseconds(1500000));

  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  auto ours = watchdog_interval();
  ASSERT_TRUE(ours && ours->has_value());
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  auto other = watchdog_interval();
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_value());  // meant for another process
  ::unsetenv("WATCHDOG_PID");
}

TEST(SdNotify, RejectsABadWatchdogUsec) {
  ::unsetenv("WATCHDOG_PID");
  for (const char* bad : {"0", "-5", "12s", "abc"}) {
    ::setenv("WATCHDOG_USEC", bad, 1);
    auto r = watchdog_interval();
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().text.find("WATCHDOG_USEC"), std::string::npos);
  }
  ::setenv("WATCHDOG_USEC", "1000", 1);
  ::setenv("WATCHDOG_PID", "x1", 1);
  EXPECT_FALSE(watchdog_interval());
  ::unsetenv("WATCHDOG_PID");
  ::unsetenv("WATCHDOG_USEC");
}

}  // namespace
}  // namespace sm::sd
