// net_dns_test.cpp - Resolver against a fake DNS server run inside the test:
// a UDP socket on loopback answering hand-built responses, so MX ordering,
// implicit MX, NXDOMAIN, null MX, SERVFAIL and A/AAAA are tested offline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "net/dns.h"

namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, unsigned v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, v >> 16);
  put16(b, v & 0xffff);
}
void put_name(Bytes& b, const std::string& name) {
  std::size_t start = 0;
  while (start < name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    b.push_back(static_cast<std::uint8_t>(dot - start));
    b.insert(b.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  b.push_back(0);
}

struct Rr {
  unsigned type;
  Bytes rdata;
};
Rr mx(unsigned pref, const std::string& host) {
  Rr r{15, {}};
  put16(r.rdata, pref);
  put_name(r.rdata, host);
  return r;
}
Rr a(const char* ip) {
  Rr r{1, Bytes(4)};
  inet_pton(AF_INET, ip, r.rdata.data());
  return r;
}
Rr aaaa(const char* ip) {
  Rr r{28, Bytes(16)};
  inet_pton(AF_INET6, ip, r.rdata.data());
  return r;
}

// Answers one zone of canned data; unknown names get NXDOMAIN.
class FakeDns {
 public:
  FakeDns() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeDns() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int queries() const { return queries_; }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      std::uint8_t buf[512];
      sockaddr_in from{};
      socklen_t fl = sizeof from;
      ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n < 12) continue;
      ++queries_;
      // Question: name labels, then type and class.
      std::size_t i = 12;
      std::string name;
      while (i < static_cast<std::size_t>(n) && buf[i] != 0) {
        std::size_t l = buf[i++];
        if (!name.empty()) name += '.';
        name.append(reinterpret_cast<char*>(buf + i), l);
        i += l;
      }
      i += 1;
      unsigned qtype = (buf[i] << 8) | buf[i + 1];
      std::size_t qend = i + 4;
      unsigned rcode = 0;
      std::vector<Rr> answers;
      answer(name, qtype, rcode, answers);
      Bytes out;
      out.push_back(buf[0]);
      out.push_back(buf[1]);
      put16(out, 0x8180 | rcode);  // QR, RD, RA
      put16(out, 1);
      put16(out, static_cast<unsigned>(answers.size()));
      put16(out, 0);
      put16(out, 0);
      out.insert(out.end(), buf + 12, buf + qend);
      for (const auto& rr : answers) {
        put16(out, 0xc00c);  // pointer to the question name
        put16(out, rr.type);
        put16(out, 1);
        put32(out, 300);
        put16(out, static_cast<unsigned>(rr.rdata.size()));
        out.insert(out.end(), rr.rdata.begin(), rr.rdata.end());
      }
      ::sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
    }
  }

  static void answer(std::string name, unsigned qtype, unsigned& rcode, std::vector<Rr>& out) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "multi.test") {
      if (qtype == 15) {
        out = {mx(20, "backup.multi.test"), mx(10, "a.multi.test"), mx(10, "b.multi.test"),
               mx(5, "First.Multi.Test.")};
      }
    } else if (name == "nomx.test") {
      if (qtype == 1) out = {a("192.0.2.7")};
    } else if (name == "nullmx.test") {
      if (qtype == 15) out = {mx(0, "")};
    } else if (name == "host.test") {
      if (qtype == 1) out = {a("192.0.2.1")};
      if (qtype == 28) out = {aaaa("2001:db8::1")};
    } else if (name == "broken.test") {
      rcode = 2;  // SERVFAIL
    } else {
      rcode = 3;  // NXDOMAIN
    }
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

template <class T>
T run(asio::io_context& io, asio::awaitable<T> aw) {
  std::optional<T> out;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(aw)); },
                 asio::detached);
  io.restart();
  io.run();
  return std::move(*out);
}

class DnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sm::net::ResolverOptions o;
    o.nameservers = {dns.address()};
    o.timeout = std::chrono::milliseconds(500);
    o.tries = 1;
    auto r = sm::net::Resolver::create(o);
    ASSERT_TRUE(r) << r.error().text;
    resolver = *r;
  }
  FakeDns dns;
  std::shared_ptr<sm::net::Resolver> resolver;
  asio::io_context io;
};

TEST_F(DnsTest, MxSortedByPreferenceRandomAmongEquals) {
  std::set<std::string> seen_second;
  for (int i = 0; i < 40; ++i) {
    auto r = run(io, resolver->resolve_mx("Multi.Test."));
    ASSERT_TRUE(r) << r.error().text;
    ASSERT_EQ(r->size(), 4u);
    EXPECT_EQ((*r)[0].host, "first.multi.test");
    EXPECT_EQ((*r)[0].preference, 5);
    EXPECT_FALSE((*r)[0].implicit);
    EXPECT_EQ((*r)[1].preference, 10);
    EXPECT_EQ((*r)[2].preference, 10);
    EXPECT_EQ((*r)[3].host, "backup.multi.test");
    seen_second.insert((*r)[1].host);
  }
  EXPECT_EQ(seen_second, (std::set<std::string>{"a.multi.test", "b.multi.test"}));
}

TEST_F(DnsTest, NoMxMeansImplicitMx) {
  auto r = run(io, resolver->resolve_mx("nomx.test"));
  ASSERT_TRUE(r) << r.error().text;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].host, "nomx.test");
  EXPECT_TRUE((*r)[0].implicit);
}

TEST_F(DnsTest, NxdomainIsPermanent) {
  auto r = run(io, resolver->resolve_mx("missing.test"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 550);
  EXPECT_EQ(r.error().enhanced, "5.1.2");
  EXPECT_NE(r.error().text.find("missing.test"), std::string::npos);
}

TEST_F(DnsTest, NullMxIsPermanent) {
  auto r = run(io, resolver->resolve_mx("nullmx.test"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 556);
  EXPECT_EQ(r.error().enhanced, "5.1.10");
}

TEST_F(DnsTest, ServfailIsTemporary) {
  auto r = run(io, resolver->resolve_mx("broken.test"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 451);
  EXPECT_EQ(r.error().enhanced, "4.4.3");
}

TEST_F(DnsTest, BadDomainIsPermanentWithoutQuery) {
  auto r = run(io, resolver->resolve_mx("bad..domain"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 550);
  EXPECT_EQ(dns.queries(), 0);
}

TEST_F(DnsTest, DomainLiteral) {
  auto r = run(io, resolver->resolve_mx("[192.0.2.9]"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].host, "192.0.2.9");
}

TEST_F(DnsTest, AddressesAandAAAA) {
  auto r = run(io, resolver->resolve_address("host.test", 2525));
  ASSERT_TRUE(r) << r.error().text;
  std::set<std::string> got;
  for (const auto& ep : *r) {
    EXPECT_EQ(ep.port(), 2525);
    got.insert(ep.address().to_string());
  }
  EXPECT_EQ(got, (std::set<std::string>{"192.0.2.1", "2001:db8::1"}));
}

TEST_F(DnsTest, AddressLiteralNeedsNoDns) {
  auto r = run(io, resolver->resolve_address("[::1]", 25));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().address().to_string(), "::1");
  EXPECT_EQ(dns.queries(), 0);
}

TEST_F(DnsTest, UnknownHostIsPermanent) {
  auto r = run(io, resolver->resolve_address("nohost.test", 25));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 550);
  EXPECT_EQ(r.error().enhanced, "5.4.4");
}

TEST_F(DnsTest, ConcurrentQueriesFromManyCoroutines) {
  int ok = 0;
  for (int i = 0; i < 20; ++i) {
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      auto r = co_await resolver->resolve_mx("multi.test");
      if (r && r->size() == 4) ++ok;
    }, asio::detached);
  }
  io.run();
  EXPECT_EQ(ok, 20);
}

TEST(DnsResolver, BadNameserverIsAnError) {
  sm::net::ResolverOptions o;
  o.nameservers = {"not an address"};
  EXPECT_FALSE(sm::net::Resolver::create(o));
}

TEST(DnsResolver, DestroyWithQueryInFlightFailsTemporarily) {
  // A nameserver that never answers: the query is still pending at destruction.
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  sm::net::ResolverOptions o;
  o.nameservers = {"127.0.0.1:" + std::to_string(ntohs(sa.sin_port))};
  o.timeout = std::chrono::seconds(30);
  auto resolver = *sm::net::Resolver::create(o);
  asio::io_context io;
  std::optional<sm::Result<std::vector<sm::net::MxHost>>> got;
  sm::net::Resolver* rp = resolver.get();
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    got.emplace(co_await rp->resolve_mx("slow.test"));
  }, asio::detached);
  io.run_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(got.has_value());
  resolver.reset();  // joins the c-ares thread, fails the query
  io.run_for(std::chrono::milliseconds(500));
  ::close(fd);
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(*got);
  EXPECT_EQ(got->error().code, 451);
}

}  // namespace
