// certify_probe_test.cpp - the runner's SMTP probe against a hostile or
// broken target (a scripted server on a loopback socket): replies split
// over many writes are read whole, a reply that never ends or a line that
// is not SMTP is an error and not a hang, a closed connection is code 0, an
// unasked reply is seen by reply_within and silence is not, and a port
// where nothing listens is a clear 4.4.1 error naming it.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "certify/smtp_probe.h"

namespace sm::certify {
namespace {

using namespace std::chrono_literals;

// A one-connection server: accepts, runs `script` with the client's fd.
class ScriptedServer {
 public:
  template <class F>
  explicit ScriptedServer(F script) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    ::listen(listener_, 1);
    socklen_t len = sizeof sa;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this, script] {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      script(fd);
      ::close(fd);
    });
  }
  ~ScriptedServer() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// MSG_NOSIGNAL: the probe may close first (it stops reading at its limit);
// a write then must fail, not kill the test process with SIGPIPE.
void say(int fd, const std::string& text) { (void)!::send(fd, text.data(), text.size(), MSG_NOSIGNAL); }

std::string hear_line(int fd) {
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

TEST(CertifyProbe, RepliesSplitOverManyWritesAreReadWhole) {
  ScriptedServer server([](int fd) {
    for (char c : std::string("220-hello\r\n220 there\r\n")) {
      say(fd, std::string(1, c));
      std::this_thread::sleep_for(1ms);
    }
    hear_line(fd);
    say(fd, "250-gw.example\r\n250-PIPELINING\r\n250-starttls\r\n250 8BITMIME\r\n");
    hear_line(fd);
  });
  auto probe = SmtpProbe::connect("127.0.0.1", server.port(), 5s);
  ASSERT_TRUE(probe) << probe.error().text;
  auto greeting = (*probe)->read_reply();
  ASSERT_TRUE(greeting);
  EXPECT_EQ(greeting->code, 220);
  EXPECT_EQ(greeting->lines.size(), 2u);
  auto ehlo = (*probe)->ehlo("runner.example");
  ASSERT_TRUE(ehlo);
  EXPECT_TRUE((*probe)->offers("STARTTLS"));  // keywords are compared upper-case
  EXPECT_TRUE((*probe)->offers("8BITMIME"));
  EXPECT_FALSE((*probe)->offers("CHUNKING"));
  (*probe)->quit();
}

TEST(CertifyProbe, AReplyThatNeverEndsIsAnErrorNotAHang) {
  ScriptedServer server([](int fd) {
    for (int i = 0; i < 200; ++i) say(fd, "220-more\r\n");
    std::this_thread::sleep_for(200ms);
  });
  auto probe = SmtpProbe::connect("127.0.0.1", server.port(), 5s);
  ASSERT_TRUE(probe);
  auto reply = (*probe)->read_reply();
  ASSERT_FALSE(reply);
  EXPECT_NE(reply.error().text.find("more than 100 lines"), std::string::npos) << reply.error().text;
}

TEST(CertifyProbe, ALineThatIsNotSmtpAndAnEndlessLineAreErrors) {
  {
    ScriptedServer server([](int fd) { say(fd, "HTTP/1.1 400 Bad Request\r\n"); });
    auto probe = SmtpProbe::connect("127.0.0.1", server.port(), 5s);
    ASSERT_TRUE(probe);
    auto reply = (*probe)->read_reply();
    ASSERT_FALSE(reply);
    EXPECT_NE(reply.error().text.find("not an SMTP reply"), std::string::npos);
  }
  {
    ScriptedServer server([](int fd) {
      say(fd, "220 " + std::string(10000, 'x'));
      std::this_thread::sleep_for(200ms);
    });
    auto probe = SmtpProbe::connect("127.0.0.1", server.port(), 5s);
    ASSERT_TRUE(probe);
    auto reply = (*probe)->read_reply();
    ASSERT_FALSE(reply);
    EXPECT_NE(reply.error().text.find("longer than 4096"), std::string::npos);
  }
}

TEST(CertifyProbe, SilenceTimesOutAndAClosedConnectionIsCodeZero) {
  ScriptedServer server([](int fd) {
    say(fd, "220 ready\r\n");
    hear_line(fd);  // NOOP: no answer, then close
  });
  auto probe = SmtpProbe::connect("127.0.0.1", server.port(), 2s);
  ASSERT_TRUE(probe);
  ASSERT_TRUE((*probe)->read_reply());
  auto none = (*probe)->reply_within(100ms);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto closed = (*probe)->command("NOOP");
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->code, 0);
  EXPECT_EQ(closed->summary(), "(connection closed)");
}

TEST(CertifyProbe, AnUnaskedReplyIsSeen) {
  ScriptedServer server([](int fd) {
    say(fd, "220 ready\r\n");
    std::this_thread::sleep_for(50ms);
    say(fd, "250 2.0.0 you did not ask\r\n");
    std::this_thread::sleep_for(200ms);
  });
  auto probe = SmtpProbe::connect("127.0.0.1", server.port(), 2s);
  ASSERT_TRUE(probe);
  ASSERT_TRUE((*probe)->read_reply());
  auto unasked = (*probe)->reply_within(2000ms);
  ASSERT_TRUE(unasked);
  ASSERT_TRUE(unasked->has_value());
  EXPECT_EQ((*unasked)->code, 250);
}

TEST(CertifyProbe, DataBodyIsDotStuffedAndEnded) {
  std::string received;
  {
    ScriptedServer server([&received](int fd) {
      say(fd, "220 ready\r\n");
      char buf[256];
      while (received.find("\r\n.\r\n") == std::string::npos) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        received.append(buf, static_cast<std::size_t>(n));
      }
      say(fd, "250 ok\r\n");
    });
    auto probe = SmtpProbe::connect("127.0.0.1", server.port(), 2s);
    ASSERT_TRUE(probe);
    ASSERT_TRUE((*probe)->read_reply());
    auto end = (*probe)->data_body("Subject: x\r\n\r\n.hidden\r\nlast");
    ASSERT_TRUE(end);
    EXPECT_EQ(end->code, 250);
  }
  EXPECT_EQ(received, "Subject: x\r\n\r\n..hidden\r\nlast\r\n.\r\n");
}

TEST(CertifyProbe, NothingListeningIsAClearError) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&sa), &len);
  std::uint16_t port = ntohs(sa.sin_port);
  ::close(s);  // bound once, now free: nobody listens there
  auto probe = SmtpProbe::connect("127.0.0.1", port, 2s);
  ASSERT_FALSE(probe);
  EXPECT_EQ(probe.error().enhanced, "4.4.1");
  EXPECT_NE(probe.error().text.find("127.0.0.1:" + std::to_string(port)), std::string::npos);
}

}  // namespace
}  // namespace sm::certify
