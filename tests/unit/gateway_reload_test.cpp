// gateway_reload_test.cpp - the descriptors a reload hands across its exec
// (gateway/reload.h): the $SECUREMAIL_INHERITED_FDS syntax and its
// refusals, taking it from the environment, and which inherited socket a
// listener adopts (real sockets bound on loopback).
#include "gateway/reload.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>
#include <cstdlib>

namespace sm::gateway::reload {
namespace {

using asio::ip::tcp;

TEST(InheritedFds, ParsesNamesAndDescriptors) {
  auto fds = parse_inherited("relay=5,inbound=6,lock=3");
  ASSERT_TRUE(fds) << fds.error().text;
  EXPECT_EQ(*fds, (InheritedFds{{"relay", 5}, {"inbound", 6}, {"lock", 3}}));
  EXPECT_EQ(format_inherited(*fds), "inbound=6,lock=3,relay=5");
  auto again = parse_inherited(format_inherited(*fds));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *fds);
}

TEST(InheritedFds, RefusesMalformedItemsNamingThem) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"", "not NAME=FD"},
      {"relay", "not NAME=FD"},
      {"relay=5,", "not NAME=FD"},
      {"=5", "no name"},
      {"relay=", "not a descriptor number"},
      {"relay=five", "not a descriptor number"},
      {"relay=5x", "not a descriptor number"},
      {"relay=-5", "not a descriptor number"},
      {"relay=2", "not a descriptor number"},
      {"relay=5,relay=6", "name given twice"},
      {"relay=5,inbound=5", "descriptor given twice"},
  };
  for (const auto& c : cases) {
    auto fds = parse_inherited(c.text);
    ASSERT_FALSE(fds) << c.text;
    EXPECT_NE(fds.error().text.find(c.says), std::string::npos) << c.text << " -> " << fds.error().text;
    EXPECT_NE(fds.error().text.find(kInheritedFdsVariable), std::string::npos) << fds.error().text;
  }
}

struct Bound {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  explicit Bound(const char* host) {
    tcp::endpoint at(asio::ip::make_address(host), 0);
    acceptor.open(at.protocol());
    acceptor.bind(at);
    acceptor.listen();
  }
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }
  int fd() { return acceptor.native_handle(); }
};

bool cloexec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

TEST(InheritedFds, TakenFromTheEnvironmentOnceAndClaimedByAddress) {
  Bound relay("127.0.0.1"), inbound("127.0.0.1"), gone("127.0.0.1");
  for (int fd : {relay.fd(), inbound.fd(), gone.fd()}) ::fcntl(fd, F_SETFD, 0);  // as the exec leaves them
  InheritedFds kept{{"relay", relay.fd()}, {"inbound", inbound.fd()}, {"submission", gone.fd()}};
  ::setenv(kInheritedFdsVariable, format_inherited(kept).c_str(), 1);
  ASSERT_TRUE(take_inherited_from_environment());
  EXPECT_EQ(std::getenv(kInheritedFdsVariable), nullptr);  // nothing the gateway starts inherits them
  EXPECT_TRUE(cloexec(relay.fd()));

  auto loopback = asio::ip::make_address("127.0.0.1");
  // The relay listener keeps port 0 in its config: its own socket, whatever port it got.
  EXPECT_EQ(claim_listener("relay", tcp::endpoint(loopback, 0)), relay.fd());
  EXPECT_EQ(claim_listener("relay", tcp::endpoint(loopback, 0)), std::nullopt);  // claimed once
  // Another address than the inbound socket's: bound fresh, the old one stays unclaimed.
  EXPECT_EQ(claim_listener("inbound", tcp::endpoint(asio::ip::make_address("127.0.0.2"), inbound.port())),
            std::nullopt);
  // A listener renamed onto the exact address of another socket adopts it.
  EXPECT_EQ(claim_listener("submissions", tcp::endpoint(loopback, gone.port())), gone.fd());
  gone.acceptor.release();

  inbound.acceptor.release();  // close_unclaimed closes it
  EXPECT_EQ(close_unclaimed(), std::vector<std::string>{"inbound"});
  EXPECT_LT(::fcntl(inbound.fd(), F_GETFD), 0);
  EXPECT_EQ(claim("inbound"), std::nullopt);
  ::close(gone.fd());
}

TEST(InheritedFds, ADescriptorNotOpenLeavesNothingInherited) {
  Bound relay("127.0.0.1");
  int closed = ::dup(relay.fd());
  ::close(closed);
  ::setenv(kInheritedFdsVariable, ("relay=" + std::to_string(relay.fd()) + ",lock=" + std::to_string(closed)).c_str(), 1);
  auto taken = take_inherited_from_environment();
  ASSERT_FALSE(taken);
  EXPECT_NE(taken.error().text.find("lock=" + std::to_string(closed) + ": descriptor not open"), std::string::npos)
      << taken.error().text;
  EXPECT_EQ(std::getenv(kInheritedFdsVariable), nullptr);
  EXPECT_EQ(claim("relay"), std::nullopt);
}

TEST(InheritedFds, AMalformedVariableIsAnError) {
  ::setenv(kInheritedFdsVariable, "relay=oops", 1);
  auto taken = take_inherited_from_environment();
  ASSERT_FALSE(taken);
  EXPECT_NE(taken.error().text.find("\"relay=oops\""), std::string::npos) << taken.error().text;
  EXPECT_EQ(claim("relay"), std::nullopt);
}

TEST(InheritedFds, NoVariableNoInheritance) {
  ::unsetenv(kInheritedFdsVariable);
  EXPECT_TRUE(take_inherited_from_environment());
  EXPECT_TRUE(close_unclaimed().empty());
}

TEST(Unchangeable, TheDataFolderStaysWhereItIs) {
  config::Config running = config::embedded_default(), next = running;
  EXPECT_EQ(unchangeable(running, next), "");
  next.limits.max_recipients += 1;
  EXPECT_EQ(unchangeable(running, next), "");
  next.data_dir = running.data_dir / "elsewhere";
  EXPECT_NE(unchangeable(running, next).find("data_dir: a reload cannot move the data folder"), std::string::npos);
}

// What unchangeable() says in a process that gave up root (a child switched to nobody when we are root).
std::string unchangeable_without_root(const config::Config& running, const config::Config& next) {
  if (::geteuid() != 0) return unchangeable(running, next);
  int out[2];
  if (::pipe(out) != 0) return "pipe failed";
  pid_t child = ::fork();
  if (child == 0) {
    ::close(out[0]);
    std::string said = ::setgid(65534) == 0 && ::setuid(65534) == 0 ? unchangeable(running, next) : "setuid failed";
    [[maybe_unused]] auto n = ::write(out[1], said.data(), said.size());
    ::_exit(0);
  }
  ::close(out[1]);
  std::string said;
  char buf[512];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) said.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  ::waitpid(child, nullptr, 0);
  return said;
}

TEST(Unchangeable, APrivilegedPortBoundAfreshNeedsTheCapability) {
  config::Config running = config::embedded_default();
  running.listen.relay = {"127.0.0.1", 25};
  running.listen.admin = {"127.0.0.1", 8025};
  config::Config next = running;
  if (may_bind_privileged_ports() && ::geteuid() != 0) GTEST_SKIP() << "this process has CAP_NET_BIND_SERVICE";
  EXPECT_EQ(unchangeable_without_root(running, next), "");  // port 25 is kept across the exec
  next.listen.admin = {"127.0.0.1", 443};  // the admin listener is always bound again
  EXPECT_NE(unchangeable_without_root(running, next).find("listen.admin: port 443 cannot be bound again"),
            std::string::npos);
  next = running;
  next.listen.relay = {"127.0.0.2", 25};  // moved: bound afresh
  EXPECT_NE(unchangeable_without_root(running, next).find("listen.relay: port 25"), std::string::npos);
  next.listen.relay = {"127.0.0.2", 2525};
  EXPECT_EQ(unchangeable_without_root(running, next), "");
}

}  // namespace
}  // namespace sm::gateway::reload
