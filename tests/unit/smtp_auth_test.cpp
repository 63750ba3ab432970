// smtp_auth_test.cpp - AUTH (RFC 4954) on a submission session over real
// loopback sockets: offered only after TLS, 538 before it, 530 for MAIL
// before AUTH, PLAIN with and without an initial response, LOGIN's two
// prompts, "*" cancelling, bad base64, the handler's refusal passed on,
// AUTH twice, the 12288-octet AUTH line limit, and implicit TLS (465).
//
// Harness: smtp_session_harness.h.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/tls.h"
#include "smtp/server.h"
#include "smtp_session_harness.h"
#include "temp_dir.h"
#include "util/base64.h"

using namespace smtp_test;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace {

// Accepts alice with "pw" (password) or "pw123456" (strong), as an
// account store would; records what the session handed over.
class AuthHandler : public FakeHandler {
 public:
  std::vector<sm::smtp::Credentials> seen;
  asio::awaitable<sm::Result<sm::smtp::Authenticated>> authenticate(
      const sm::smtp::SessionInfo&, const sm::smtp::Credentials& creds) override {
    {
      std::lock_guard lock(mutex);
      seen.push_back(creds);
    }
    if (!creds.authzid.empty() && creds.authzid != creds.authcid)
      co_return sm::fail(535, "5.7.8", "authentication failed");
    if (creds.authcid == "alice" && creds.secret == "pw") co_return sm::smtp::Authenticated{"alice", "password", false};
    if (creds.authcid == "alice" && creds.secret == "pw123456") co_return sm::smtp::Authenticated{"alice", "totp", true};
    co_return sm::fail(535, "5.7.8", "authentication failed");
  }
};

std::string plain(std::string_view authzid, std::string_view user, std::string_view secret) {
  std::string m(authzid);
  m += '\0';
  m += user;
  m += '\0';
  m += secret;
  return sm::base64_encode(m);
}

class SmtpAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path.string();
    ASSERT_TRUE(sm::net::ensure_self_signed(dir_ + "/cert.pem", dir_ + "/key.pem", "mx.test.example"));
    auto ctx = sm::net::server_tls_context(dir_ + "/cert.pem", dir_ + "/key.pem");
    ASSERT_TRUE(ctx) << ctx.error().text;
    server_ctx_ = *ctx;
  }
  void start(bool implicit_tls = false) {
    sm::smtp::ServerOptions o;
    o.hostname = "mx.test.example";
    o.listener = implicit_tls ? "submissions" : "submission";
    o.limits.command_timeout = std::chrono::seconds(10);
    o.tls = server_ctx_;
    o.auth = true;
    o.implicit_tls = implicit_tls;
    server_ = std::make_unique<Server>(std::move(o), handler_);
  }
  // Greeting, EHLO, STARTTLS, EHLO again; returns the second EHLO reply.
  std::string under_tls(Client& c) {
    EXPECT_EQ(c.reply(), "220 mx.test.example ESMTP SecureMail\r\n");
    c.send("EHLO client.example\r\n");
    c.reply();
    c.send("STARTTLS\r\n");
    EXPECT_EQ(c.reply(), "220 2.0.0 Ready to start TLS\r\n");
    c.start_tls(client_ctx_);
    c.send("EHLO client.example\r\n");
    return c.reply();
  }
  void send_one(Client& c) {
    c.send("MAIL FROM:<alice@a.example>\r\n");
    ASSERT_THAT(c.reply(), StartsWith("250 2.1.0"));
    c.send("RCPT TO:<bob@b.example>\r\n");
    ASSERT_THAT(c.reply(), StartsWith("250 2.1.5"));
    c.send("DATA\r\n");
    ASSERT_THAT(c.reply(), StartsWith("354"));
    c.send("Subject: hi\r\n\r\nhello\r\n.\r\n");
    ASSERT_THAT(c.reply(), StartsWith("250 2.0.0 Ok: queued as"));
  }

  sm::test_support::TempDir tmp_;
  std::string dir_;
  std::shared_ptr<asio::ssl::context> server_ctx_;
  asio::ssl::context client_ctx_{asio::ssl::context::tls_client};
  AuthHandler handler_;
  std::unique_ptr<Server> server_;
};

TEST_F(SmtpAuth, NotOfferedNorAcceptedBeforeTls) {
  start();
  Client c(server_->port());
  c.reply();
  c.send("EHLO client.example\r\n");
  std::string ehlo = c.reply();
  EXPECT_THAT(ehlo, HasSubstr("STARTTLS"));
  EXPECT_THAT(ehlo, Not(HasSubstr("AUTH")));
  c.send("AUTH PLAIN " + plain("", "alice", "pw") + "\r\n");
  EXPECT_EQ(c.reply(), "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
  c.send("MAIL FROM:<alice@a.example>\r\n");
  EXPECT_EQ(c.reply(), "530 5.7.0 Authentication required\r\n");
  EXPECT_TRUE(handler_.seen.empty());
}

TEST_F(SmtpAuth, PlainWithInitialResponseThenMail) {
  start();
  Client c(server_->port());
  std::string ehlo = under_tls(c);
  EXPECT_THAT(ehlo, HasSubstr("250 AUTH PLAIN LOGIN\r\n"));
  EXPECT_THAT(ehlo, Not(HasSubstr("STARTTLS")));
  c.send("MAIL FROM:<alice@a.example>\r\n");
  EXPECT_EQ(c.reply(), "530 5.7.0 Authentication required\r\n");
  c.send("AUTH PLAIN " + plain("", "alice", "pw123456") + "\r\n");
  EXPECT_EQ(c.reply(), "235 2.7.0 Authentication successful\r\n");
  c.send("AUTH PLAIN " + plain("", "alice", "pw") + "\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: already authenticated\r\n");
  c.send("EHLO client.example\r\n");
  EXPECT_THAT(c.reply(), Not(HasSubstr("AUTH")));  // still signed in; nothing more to offer
  send_one(c);
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.data_infos.size(), 1u);
  EXPECT_EQ(rec.data_infos[0].auth_user, "alice");
  EXPECT_EQ(rec.data_infos[0].auth_method, "totp");
  EXPECT_TRUE(rec.data_infos[0].auth_strong);
  ASSERT_EQ(handler_.seen.size(), 1u);
  EXPECT_EQ(handler_.seen[0].mechanism, "PLAIN");
  EXPECT_EQ(handler_.seen[0].authcid, "alice");
  EXPECT_EQ(handler_.seen[0].secret, "pw123456");
}

TEST_F(SmtpAuth, PlainContinuationAndLogin) {
  start();
  {
    Client c(server_->port());
    under_tls(c);
    c.send("AUTH PLAIN\r\n");
    EXPECT_EQ(c.reply(), "334 \r\n");
    c.send(plain("alice", "alice", "pw") + "\r\n");  // authzid equal to authcid is fine
    EXPECT_EQ(c.reply(), "235 2.7.0 Authentication successful\r\n");
    send_one(c);
  }
  Client c(server_->port());
  under_tls(c);
  c.send("AUTH LOGIN\r\n");
  EXPECT_EQ(c.reply(), "334 VXNlcm5hbWU6\r\n");
  c.send(sm::base64_encode("alice") + "\r\n");
  EXPECT_EQ(c.reply(), "334 UGFzc3dvcmQ6\r\n");
  c.send(sm::base64_encode("pw") + "\r\n");
  EXPECT_EQ(c.reply(), "235 2.7.0 Authentication successful\r\n");
  auto rec = handler_.snapshot();
  send_one(c);
  rec = handler_.snapshot();
  ASSERT_EQ(rec.data_infos.size(), 2u);
  EXPECT_EQ(rec.data_infos[1].auth_method, "password");
  EXPECT_FALSE(rec.data_infos[1].auth_strong);
}

TEST_F(SmtpAuth, LoginWithInitialUserName) {
  start();
  Client c(server_->port());
  under_tls(c);
  c.send("AUTH LOGIN " + sm::base64_encode("alice") + "\r\n");
  EXPECT_EQ(c.reply(), "334 UGFzc3dvcmQ6\r\n");
  c.send(sm::base64_encode("pw") + "\r\n");
  EXPECT_EQ(c.reply(), "235 2.7.0 Authentication successful\r\n");
}

TEST_F(SmtpAuth, RefusalsAndCancel) {
  start();
  Client c(server_->port());
  under_tls(c);
  c.send("AUTH PLAIN\r\n");
  EXPECT_EQ(c.reply(), "334 \r\n");
  c.send("*\r\n");
  EXPECT_EQ(c.reply(), "501 5.7.0 Authentication aborted\r\n");
  c.send("AUTH LOGIN\r\n");
  EXPECT_EQ(c.reply(), "334 VXNlcm5hbWU6\r\n");
  c.send(sm::base64_encode("alice") + "\r\n");
  EXPECT_EQ(c.reply(), "334 UGFzc3dvcmQ6\r\n");
  c.send("*\r\n");
  EXPECT_EQ(c.reply(), "501 5.7.0 Authentication aborted\r\n");
  c.send("AUTH PLAIN not!base64\r\n");
  EXPECT_EQ(c.reply(), "501 5.5.2 Error: invalid base64 in authentication exchange\r\n");
  c.send("AUTH PLAIN " + sm::base64_encode("no-nul-at-all") + "\r\n");
  EXPECT_EQ(c.reply(), "501 5.5.2 Error: malformed PLAIN response\r\n");
  c.send("AUTH CRAM-MD5\r\n");
  EXPECT_EQ(c.reply(), "504 5.5.4 Error: unsupported authentication mechanism\r\n");
  c.send("AUTH\r\n");
  EXPECT_EQ(c.reply(), "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n");
  c.send("AUTH PLAIN " + plain("", "alice", "wrong") + "\r\n");
  EXPECT_EQ(c.reply(), "535 5.7.8 authentication failed\r\n");
  c.send("AUTH PLAIN " + plain("mallory", "alice", "pw") + "\r\n");
  EXPECT_EQ(c.reply(), "535 5.7.8 authentication failed\r\n");
  c.send("MAIL FROM:<alice@a.example>\r\n");
  EXPECT_EQ(c.reply(), "530 5.7.0 Authentication required\r\n");
  c.send("AUTH PLAIN " + plain("", "alice", "pw") + "\r\n");  // still possible after failures
  EXPECT_EQ(c.reply(), "235 2.7.0 Authentication successful\r\n");
  // Only the complete exchanges reached the handler (wrong, mallory, pw).
  EXPECT_EQ(handler_.seen.size(), 3u);
}

TEST_F(SmtpAuth, AuthLinesMayBeLongOtherCommandsMayNot) {
  start();
  Client c(server_->port());
  under_tls(c);
  std::string long_secret(6000, 'x');
  c.send("AUTH PLAIN " + plain("", "alice", long_secret) + "\r\n");  // ~8 kB line
  EXPECT_EQ(c.reply(), "535 5.7.8 authentication failed\r\n");
  ASSERT_EQ(handler_.seen.size(), 1u);
  EXPECT_EQ(handler_.seen[0].secret, long_secret);
  c.send("NOOP " + std::string(2000, 'y') + "\r\n");
  EXPECT_EQ(c.reply(), "500 5.5.2 Error: line too long\r\n");
  c.send("AUTH PLAIN\r\n");
  EXPECT_EQ(c.reply(), "334 \r\n");
  c.send(std::string(13000, 'A') + "\r\n");
  EXPECT_EQ(c.reply(), "500 5.5.6 Error: authentication exchange line too long\r\n");
  c.send("NOOP\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");
}

TEST_F(SmtpAuth, ImplicitTlsHandshakesBeforeTheGreeting) {
  start(/*implicit_tls=*/true);
  Client c(server_->port());
  c.start_tls(client_ctx_);
  EXPECT_EQ(c.reply(), "220 mx.test.example ESMTP SecureMail\r\n");
  c.send("EHLO client.example\r\n");
  std::string ehlo = c.reply();
  EXPECT_THAT(ehlo, HasSubstr("250 AUTH PLAIN LOGIN\r\n"));
  EXPECT_THAT(ehlo, Not(HasSubstr("STARTTLS")));
  c.send("STARTTLS\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: TLS already active\r\n");
  c.send("AUTH PLAIN " + plain("", "alice", "pw") + "\r\n");
  EXPECT_EQ(c.reply(), "235 2.7.0 Authentication successful\r\n");
  send_one(c);
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.data_infos.size(), 1u);
  EXPECT_TRUE(rec.data_infos[0].tls);
  EXPECT_EQ(rec.data_infos[0].auth_user, "alice");
}

TEST_F(SmtpAuth, NotImplementedOnListenersWithoutAccounts) {
  sm::smtp::ServerOptions o;
  o.hostname = "mx.test.example";
  o.listener = "inbound";
  o.tls = server_ctx_;
  server_ = std::make_unique<Server>(std::move(o), handler_);
  Client c(server_->port());
  under_tls(c);
  c.send("AUTH PLAIN " + plain("", "alice", "pw") + "\r\n");
  EXPECT_EQ(c.reply(), "502 5.5.1 Error: command not implemented\r\n");
  c.send("MAIL FROM:<alice@a.example>\r\n");
  EXPECT_THAT(c.reply(), StartsWith("250 2.1.0"));  // no sign-in needed where none is offered
  EXPECT_TRUE(handler_.seen.empty());
}

TEST_F(SmtpAuth, ImplicitTlsClientSpeakingPlainIsDropped) {
  start(/*implicit_tls=*/true);
  Client c(server_->port());
  c.send("EHLO client.example\r\n");
  EXPECT_TRUE(c.closed());
}

}  // namespace
