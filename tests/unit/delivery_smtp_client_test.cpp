// delivery_smtp_client_test.cpp - SmtpClient against peers on loopback:
// the scripted SMTP/LMTP server of smtp_test_server.h (records every
// command, the raw DATA octets and our TLS client certificate; can refuse,
// close, stall, offer STARTTLS or break the TLS handshake), and a real
// aiosmtpd (STARTTLS) when available.
// Member-gateway TLS: certificate pinning and our client certificate.
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "delivery/smtp_client.h"
#include "net/dns.h"
#include "net/tls.h"
#include "pki/certificate.h"
#include "delivery_smtp_client_fixture.h"
#include "smtp_test_server.h"

namespace fs = std::filesystem;
using namespace sm::delivery;
using ::testing::HasSubstr;

namespace {

using sm::testing::FakeServer;
using sm::testing::ServerConfig;
using sm::testing::Session;
using sm_test_client::SmtpClientTest;


TEST_F(SmtpClientTest, PipelinedDeliveryWithDotStuffingAndOneRejectedRecipient) {
  ServerConfig cfg;
  cfg.strict_pipelining = true;  // a client that does not pipeline times out here
  cfg.reject_rcpt = {"bad@example.net"};
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0, 1, 2}, store(body));

  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].index, 0u);
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  EXPECT_EQ(*out[0].result, "250 2.0.0 Ok: queued as ABC0");
  ASSERT_TRUE(out[2].result);
  ASSERT_FALSE(out[1].result);
  EXPECT_EQ(out[1].result.error().code, 550);
  EXPECT_EQ(out[1].result.error().enhanced, "5.1.1");
  EXPECT_THAT(out[1].result.error().text, HasSubstr("127.0.0.1:" + std::to_string(srv.port())));
  EXPECT_THAT(out[1].result.error().text, HasSubstr("User unknown"));
  EXPECT_THAT(out[1].result.error().text, HasSubstr("RCPT TO"));

  auto s = srv.sessions();
  ASSERT_EQ(s.size(), 1u);
  ASSERT_EQ(s[0].raw_data.size(), 1u);
  EXPECT_EQ(s[0].raw_data[0],
            "Subject: test\r\n\r\n..leading dot\r\nmiddle\r\n...two dots\r\n..\r\nno final newline\r\n");
  EXPECT_EQ(s[0].commands.front(), "EHLO client.test");
  EXPECT_THAT(s[0].commands, ::testing::Contains("MAIL FROM:<alice@example.org> SIZE=" +
                                                 std::to_string(body.size()) ));
  EXPECT_EQ(s[0].commands.back(), "QUIT");
}

TEST_F(SmtpClientTest, DsnAnd8bitParametersWhenOffered) {
  FakeServer srv(ServerConfig{});
  env.body_8bit = true;
  env.ret = sm::mail::Ret::hdrs;
  env.envid = "id+1=x";
  env.recipients[0].notify = sm::mail::kNotifySuccess | sm::mail::kNotifyFailure;
  env.recipients[0].orcpt = "rfc822;Bob+orig@example.net";
  env.recipients[2].notify = sm::mail::kNotifyNever;
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0, 2}, store("x\r\n"));
  ASSERT_TRUE(out[0].result);
  auto cmds = srv.sessions().at(0).commands;
  EXPECT_THAT(cmds, ::testing::Contains("MAIL FROM:<alice@example.org> SIZE=3 BODY=8BITMIME RET=HDRS ENVID=id+2B1+3Dx"));
  EXPECT_THAT(cmds, ::testing::Contains("RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2Borig@example.net"));
  EXPECT_THAT(cmds, ::testing::Contains("RCPT TO:<carol@example.net> NOTIFY=NEVER ORCPT=rfc822;carol@example.net"));
}

TEST_F(SmtpClientTest, NoExtensionsMeansPlainCommandsInLockStep) {
  ServerConfig cfg;
  cfg.caps = {};
  FakeServer srv(cfg);
  env.body_8bit = true;
  env.recipients[0].notify = sm::mail::kNotifySuccess;
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0}, store("x\r\n"));
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  auto cmds = srv.sessions().at(0).commands;
  EXPECT_THAT(cmds, ::testing::Contains("MAIL FROM:<alice@example.org>"));
  EXPECT_THAT(cmds, ::testing::Contains("RCPT TO:<bob@example.net>"));
}

TEST_F(SmtpClientTest, MxHopThroughResolverWithDomainLiteral) {
  FakeServer srv(ServerConfig{});
  auto resolver = sm::net::Resolver::create();
  ASSERT_TRUE(resolver);
  NextHop h;
  h.kind = NextHop::Kind::mx;
  h.host = "[127.0.0.1]";
  h.port = srv.port();
  SmtpClient c(io.get_executor(), h, opts, *resolver);
  auto out = deliver(c, {0}, store("x\r\n"));
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  EXPECT_EQ(c.peer(), "127.0.0.1:" + std::to_string(srv.port()));
}

TEST_F(SmtpClientTest, HeloFallbackWhenEhloRejected) {
  ServerConfig cfg;
  cfg.reject_ehlo = true;
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0}, store("x\r\n"));
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  auto cmds = srv.sessions().at(0).commands;
  EXPECT_EQ(cmds.at(0), "EHLO client.test");
  EXPECT_EQ(cmds.at(1), "HELO client.test");
}

TEST_F(SmtpClientTest, TwoMessagesOnOneConnectionWithRset) {
  FakeServer srv(ServerConfig{});
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto m1 = store("first\r\n"), m2 = store("second\r\n");
  auto out = run<std::vector<RecipientOutcome>>([&]() -> asio::awaitable<std::vector<RecipientOutcome>> {
    std::vector<std::size_t> first{0}, second{2};
    auto a = co_await c.send(env, first, m1);
    auto b = co_await c.send(env, second, m2);
    co_await c.quit();
    a.insert(a.end(), b.begin(), b.end());
    co_return a;
  });
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].result);
  EXPECT_TRUE(out[1].result);
  auto s = srv.sessions();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].raw_data, (std::vector<std::string>{"first\r\n", "second\r\n"}));
  EXPECT_EQ(std::count(s[0].commands.begin(), s[0].commands.end(), "RSET"), 1);
  EXPECT_EQ(c.messages_sent(), 2u);
}

TEST_F(SmtpClientTest, AllRecipientsRejectedSkipsDataAndResets) {
  ServerConfig cfg;
  cfg.reject_rcpt = {"bob@example.net", "bad@example.net"};
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0, 1}, store("x\r\n"));
  for (auto& o : out) {
    ASSERT_FALSE(o.result);
    EXPECT_TRUE(o.result.error().permanent());
  }
  auto s = srv.sessions().at(0);
  EXPECT_TRUE(s.raw_data.empty());
  EXPECT_THAT(s.commands, ::testing::Contains("RSET"));
}

TEST_F(SmtpClientTest, PeerClosingMidSessionIsTemporaryForAll) {
  ServerConfig cfg;
  cfg.close_on = "RCPT";
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0, 2}, store("x\r\n"));
  for (auto& o : out) {
    ASSERT_FALSE(o.result);
    EXPECT_TRUE(o.result.error().temporary());
    EXPECT_THAT(o.result.error().text, HasSubstr("lost connection with 127.0.0.1:" + std::to_string(srv.port())));
  }
  EXPECT_FALSE(c.connected());
}

TEST_F(SmtpClientTest, PeerClosingDuringBodyIsTemporary) {
  ServerConfig cfg;
  cfg.close_on = "BODY";
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  std::string big(3 * 1024 * 1024, 'a');
  for (std::size_t i = 70; i < big.size(); i += 72) big[i - 1] = '\r', big[i] = '\n';
  auto out = deliver(c, {0}, store(big));
  ASSERT_FALSE(out[0].result);
  EXPECT_EQ(out[0].result.error().code, 451);
  EXPECT_THAT(out[0].result.error().text, HasSubstr("127.0.0.1"));
}

TEST_F(SmtpClientTest, ConnectRefusedNamesTheHost) {
  std::uint16_t port;
  {
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  SmtpClient c(io.get_executor(), hop(port), opts, nullptr);
  auto out = deliver(c, {0, 1}, store("x\r\n"));
  for (auto& o : out) {
    ASSERT_FALSE(o.result);
    EXPECT_EQ(o.result.error().code, 451);
    EXPECT_EQ(o.result.error().enhanced, "4.4.1");
    EXPECT_EQ(o.result.error().text, "connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  }
}

// A server that accepts the connection and never greets (a full accept
// queue answered with SYN cookies, a tarpit).
class SilentServerTest : public SmtpClientTest {
 protected:
  static ServerConfig stalling() {
    ServerConfig cfg;
    cfg.stall = true;
    return cfg;
  }
  // One message's attempt: its outcome, and how long it took.
  RecipientOutcome attempt(std::chrono::steady_clock::duration& took) {
    SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
    auto t0 = std::chrono::steady_clock::now();
    auto out = deliver(c, {0}, store("x\r\n"));
    took = std::chrono::steady_clock::now() - t0;
    return out.at(0);
  }
  FakeServer srv{stalling()};
};

TEST_F(SilentServerTest, TheWaitForTheGreetingTimesOut) {
  opts.command_timeout = std::chrono::milliseconds(300);
  std::chrono::steady_clock::duration took;
  auto o = attempt(took);
  EXPECT_LT(took, std::chrono::seconds(5));
  ASSERT_FALSE(o.result);
  EXPECT_TRUE(o.result.error().temporary());
  EXPECT_THAT(o.result.error().text, HasSubstr("timed out while receiving the initial server greeting"));
}

TEST_F(SilentServerTest, TheGreetingHasItsOwnTimeout) {
  opts.command_timeout = std::chrono::milliseconds(30'000);
  opts.greeting_timeout = std::chrono::milliseconds(300);
  std::chrono::steady_clock::duration took;
  auto o = attempt(took);
  EXPECT_LT(took, std::chrono::seconds(5));
  ASSERT_FALSE(o.result);
  EXPECT_THAT(o.result.error().text, HasSubstr("timed out while receiving the initial server greeting"));
}

TEST_F(SilentServerTest, AbortConnectGivesUpTheWaitAtOnce) {
  opts.command_timeout = std::chrono::milliseconds(30'000);
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  asio::steady_timer later(io, std::chrono::milliseconds(200));
  later.async_wait([&c](std::error_code) { c.abort_connect(); });
  auto t0 = std::chrono::steady_clock::now();
  auto r = run<sm::Result<void>>([&]() -> asio::awaitable<sm::Result<void>> { co_return co_await c.connect(); });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().enhanced, "4.3.2");
  EXPECT_THAT(r.error().text, HasSubstr("shutting down"));
  EXPECT_FALSE(c.connected());
}

TEST_F(SmtpClientTest, MissingQueueFileIsLocalTemporaryWithoutConnecting) {
  FakeServer srv(ServerConfig{});
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0}, StoredMessage{dir / "gone", 0, 10});
  ASSERT_FALSE(out[0].result);
  EXPECT_EQ(out[0].result.error().code, 451);
  EXPECT_TRUE(srv.sessions().empty());
}

TEST_F(SmtpClientTest, MessageOverServerSizeLimitIsPermanent) {
  ServerConfig cfg;
  cfg.caps = {"PIPELINING", "SIZE 10"};
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0}, store(std::string(100, 'x')));
  ASSERT_FALSE(out[0].result);
  EXPECT_EQ(out[0].result.error().code, 552);
  EXPECT_EQ(out[0].result.error().enhanced, "5.3.4");
}

TEST_F(SmtpClientTest, LmtpRepliesPerRecipient) {
  ServerConfig cfg;
  cfg.lmtp = true;
  cfg.lmtp_reply = {{"carol@example.net", "452 4.2.2 <carol@example.net> Mailbox full"}};
  cfg.reject_rcpt = {"bad@example.net"};
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port(), true), opts, nullptr);
  auto out = deliver(c, {0, 1, 2}, store("hello\r\n"));
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  EXPECT_EQ(*out[0].result, "250 2.0.0 <bob@example.net> delivered");
  ASSERT_FALSE(out[1].result);
  EXPECT_EQ(out[1].result.error().code, 550);
  ASSERT_FALSE(out[2].result);
  EXPECT_EQ(out[2].result.error().code, 452);
  EXPECT_EQ(out[2].result.error().enhanced, "4.2.2");
  EXPECT_EQ(srv.sessions().at(0).commands.at(0), "LHLO client.test");
}

class SmtpTlsTest : public SmtpClientTest {
 protected:
  void SetUp() override {
    SmtpClientTest::SetUp();
    cert = dir / "cert.pem";
    key = dir / "key.pem";
    ASSERT_TRUE(sm::net::ensure_self_signed(cert, key, "fake.test"));
    auto ctx = sm::net::server_tls_context(cert, key);
    ASSERT_TRUE(ctx);
    server_tls = *ctx;
  }
  // A certificate of its own in dir/NAME (the server's is dir/cert.pem).
  fs::path make_certificate(const std::string& name, const std::string& host) {
    fs::path c = dir / name / "cert.pem";
    EXPECT_TRUE(sm::net::ensure_self_signed(c, dir / name / "key.pem", host));
    return c;
  }
  static std::string fingerprint_of(const fs::path& cert) {
    auto x = sm::pki::read_certificate(cert);
    return x ? sm::pki::fingerprint(x->get()) : "unreadable " + cert.string();
  }
  static bool said(const Session& s, const std::string& verb) {
    return std::any_of(s.commands.begin(), s.commands.end(),
                       [&](const std::string& c) { return c.rfind(verb, 0) == 0; });
  }
  // Pinned to the right certificate, yet deferred with `enhanced` after a
  // single connection (never retried in clear) that got nowhere near MAIL.
  void expect_pinned_delivery_deferred(ServerConfig cfg, const std::string& enhanced) {
    FakeServer srv(std::move(cfg));
    opts.pinned_sha256 = {fingerprint_of(cert)};
    SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
    auto out = deliver(c, {0}, store("sealed\r\n"));
    ASSERT_FALSE(out[0].result);
    EXPECT_FALSE(out[0].result.error().permanent());
    EXPECT_EQ(out[0].result.error().enhanced, enhanced);
    auto s = srv.sessions();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_FALSE(said(s[0], "MAIL"));
    EXPECT_TRUE(s[0].raw_data.empty());
  }
  fs::path cert, key;
  std::shared_ptr<asio::ssl::context> server_tls;
};

TEST_F(SmtpTlsTest, StartTlsWhenOffered) {
  ServerConfig cfg;
  cfg.tls = server_tls;
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  bool was_tls = false;
  auto out = run<std::vector<RecipientOutcome>>([&]() -> asio::awaitable<std::vector<RecipientOutcome>> {
    std::vector<std::size_t> idx{0};
    auto m = store("secret\r\n");
    auto r = co_await c.send(env, idx, m);
    was_tls = c.tls_active();
    co_await c.quit();
    co_return r;
  });
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  EXPECT_TRUE(was_tls);
  auto s = srv.sessions();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0].tls);
  // EHLO, STARTTLS, EHLO again, then the transaction.
  EXPECT_EQ(s[0].commands.at(1), "STARTTLS");
  EXPECT_EQ(s[0].commands.at(2), "EHLO client.test");
  EXPECT_EQ(s[0].raw_data.at(0), "secret\r\n");
  EXPECT_EQ(s[0].client_cert, "");  // the default context has no certificate to show
}

TEST_F(SmtpTlsTest, FailedHandshakeRetriesWithoutTls) {
  ServerConfig cfg;
  cfg.tls = server_tls;
  cfg.break_tls = true;
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0}, store("x\r\n"));
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  auto s = srv.sessions();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_THAT(s[0].commands, ::testing::Contains("STARTTLS"));
  EXPECT_THAT(s[1].commands, ::testing::Not(::testing::Contains("STARTTLS")));
  EXPECT_EQ(s[1].raw_data.size(), 1u);
}

TEST_F(SmtpTlsTest, RequireTlsRefusesPlainServer) {
  FakeServer srv(ServerConfig{});
  opts.require_tls = true;
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0}, store("x\r\n"));
  ASSERT_FALSE(out[0].result);
  EXPECT_EQ(out[0].result.error().enhanced, "4.7.4");
  EXPECT_TRUE(srv.sessions().at(0).raw_data.empty());
}

TEST_F(SmtpTlsTest, PinnedCertificateMatches) {
  ServerConfig cfg;
  cfg.tls = server_tls;
  FakeServer srv(cfg);
  std::string other = fingerprint_of(make_certificate("other", "gw.c.example"));
  std::string mine = fingerprint_of(cert);
  std::string written = mine;  // pins compare whatever the case and colons
  for (auto& ch : written) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  written.insert(2, ":");
  opts.pinned_sha256 = {other, written};
  opts.starttls = false;  // pins override: TLS anyway
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0}, store("sealed\r\n"));
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  auto s = srv.sessions();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0].tls);
  EXPECT_EQ(s[0].raw_data.at(0), "sealed\r\n");
}

TEST_F(SmtpTlsTest, PinMismatchFailsBeforeAnyMailIsSent) {
  ServerConfig cfg;
  cfg.tls = server_tls;
  FakeServer srv(cfg);
  opts.pinned_sha256 = {fingerprint_of(make_certificate("other", "gw.c.example"))};
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0, 2}, store("sealed\r\n"));
  for (const auto& o : out) {
    ASSERT_FALSE(o.result);
    EXPECT_EQ(o.result.error().code, 451);
    EXPECT_EQ(o.result.error().enhanced, "4.7.5");
    EXPECT_FALSE(o.result.error().permanent());
    EXPECT_THAT(o.result.error().text, HasSubstr("127.0.0.1"));
    EXPECT_THAT(o.result.error().text, HasSubstr("does not match the directory entry"));
    EXPECT_THAT(o.result.error().text, HasSubstr(fingerprint_of(cert).substr(0, 16)));  // what it saw
  }
  auto s = srv.sessions();
  ASSERT_EQ(s.size(), 1u);  // never retried in clear
  EXPECT_TRUE(said(s[0], "STARTTLS"));
  EXPECT_FALSE(said(s[0], "MAIL"));
  EXPECT_TRUE(s[0].raw_data.empty());
}

TEST_F(SmtpTlsTest, PinnedPeerWithoutStartTlsGetsNothingInClear) {
  expect_pinned_delivery_deferred(ServerConfig{}, "4.7.4");  // STARTTLS not offered
}

TEST_F(SmtpTlsTest, PinnedPeerWithBrokenHandshakeIsNotRetriedInClear) {
  ServerConfig cfg;
  cfg.tls = server_tls;
  cfg.break_tls = true;
  expect_pinned_delivery_deferred(cfg, "4.7.5");
}

TEST_F(SmtpTlsTest, PresentsClientCertificate) {
  ServerConfig cfg;
  cfg.tls = server_tls;
  FakeServer srv(cfg);
  fs::path mine = make_certificate("gateway", "gw.a.example");
  sm::net::ClientTlsPolicy policy;
  policy.cert_file = mine;
  policy.key_file = dir / "gateway" / "key.pem";
  auto ctx = sm::net::client_tls_context(policy);
  ASSERT_TRUE(ctx) << ctx.error().text;
  opts.tls = *ctx;
  opts.pinned_sha256 = {fingerprint_of(cert)};
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0}, store("sealed\r\n"));
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  auto s = srv.sessions();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].client_cert, fingerprint_of(mine));
}

// A real peer: aiosmtpd with STARTTLS, run with the system Python.
TEST_F(SmtpTlsTest, RealAiosmtpdPeerWithStartTls) {
  if (::access("/usr/bin/python3", X_OK) != 0 ||
      std::system("/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null") != 0) {
    GTEST_SKIP() << "no /usr/bin/python3 with aiosmtpd";
  }
  fs::path script = dir / "peer.py", outdir = dir / "out", portfile = dir / "port";
  fs::create_directories(outdir);
  std::ofstream(script) << R"PY(
import asyncio, os, ssl, sys
from aiosmtpd.smtp import SMTP
cert, key, outdir, portfile = sys.argv[1:5]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith('reject'):
            return '550 5.1.1 no such user'
        envelope.rcpt_tos.append(address)
        return '250 2.1.5 OK'
    async def handle_DATA(self, server, session, envelope):
        n = len(os.listdir(outdir))
        with open(os.path.join(outdir, '%d.eml' % n), 'wb') as f:
            head = 'TLS=%s\nFROM=%s\nTO=%s\n\n' % (session.ssl is not None, envelope.mail_from, ','.join(envelope.rcpt_tos))
            f.write(head.encode() + envelope.original_content)
        return '250 2.0.0 Ok queued'
async def main():
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(lambda: SMTP(Handler(), hostname='peer.test', tls_context=ctx, require_starttls=False), '127.0.0.1', 0)
    with open(portfile + '.tmp', 'w') as f:
        f.write(str(srv.sockets[0].getsockname()[1]))
    os.rename(portfile + '.tmp', portfile)
    await asyncio.sleep(60)
asyncio.run(main())
)PY";
  std::string cmd = "/usr/bin/python3 " + script.string() + " " + cert.string() + " " + key.string() +
                    " " + outdir.string() + " " + portfile.string() + " >/dev/null 2>&1 & echo $!";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_TRUE(p);
  int pid = 0;
  ASSERT_EQ(std::fscanf(p, "%d", &pid), 1);
  ::pclose(p);
  struct Killer {
    int pid;
    ~Killer() { ::kill(pid, SIGTERM); }
  } killer{pid};
  for (int i = 0; i < 100 && !fs::exists(portfile); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(portfile)) << "aiosmtpd did not start";
  std::uint16_t port = 0;
  std::ifstream(portfile) >> port;

  env.recipients[1].address = "reject@example.net";
  SmtpClient c(io.get_executor(), hop(port), opts, nullptr);
  auto m1 = store(body), m2 = store("second\r\n");
  auto out = run<std::vector<RecipientOutcome>>([&]() -> asio::awaitable<std::vector<RecipientOutcome>> {
    std::vector<std::size_t> all{0, 1, 2}, first{0};
    auto a = co_await c.send(env, all, m1);
    auto b = co_await c.send(env, first, m2);
    co_await c.quit();
    a.insert(a.end(), b.begin(), b.end());
    co_return a;
  });
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(out[0].result) << out[0].result.error().text;
  ASSERT_FALSE(out[1].result);
  EXPECT_EQ(out[1].result.error().code, 550);
  EXPECT_TRUE(out[2].result);
  EXPECT_TRUE(out[3].result);
  std::stringstream first;
  first << std::ifstream(outdir / "0.eml", std::ios::binary).rdbuf();
  EXPECT_EQ(first.str(), "TLS=True\nFROM=alice@example.org\nTO=bob@example.net,carol@example.net\n\n" + body + "\r\n");
  EXPECT_TRUE(fs::exists(outdir / "1.eml"));
}

}  // namespace
