// smtp_session_test.cpp - serve_session over real loopback sockets with a
// recording fake TransactionHandler / MessageSink: transactions,
// pipelining, dot-unstuffing, SMTP smuggling variants, line / recipient /
// size limits, time-outs, error limit, STARTTLS and its injection defence,
// and the client certificate fingerprint handed to the handler.
//
// Harness: smtp_session_harness.h.

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "net/tls.h"
#include "pki/certificate.h"
#include "smtp/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include "smtp_session_harness.h"
#include "temp_dir.h"
#include "octets.h"


using namespace smtp_test;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace {

sm::smtp::ServerOptions test_options() {
  sm::smtp::ServerOptions o;
  o.hostname = "mx.test.example";
  o.listener = "inbound";
  o.limits.max_message_size = 1 << 20;
  o.limits.command_timeout = std::chrono::seconds(10);
  return o;
}

class SmtpSession : public ::testing::Test {
 protected:
  void start(sm::smtp::ServerOptions o = test_options()) {
    server_ = std::make_unique<Server>(std::move(o), handler_);
  }
  // Read the greeting and say EHLO.
  void greet(Client& c, std::string_view hello = "EHLO client.example\r\n") {
    EXPECT_EQ(c.reply(), "220 mx.test.example ESMTP SecureMail\r\n");
    c.send(hello);
    EXPECT_THAT(c.reply(), StartsWith("250"));
  }
  // MAIL + one RCPT + DATA, expecting 354.
  void begin_data(Client& c) {
    c.send("MAIL FROM:<a@b.example>\r\n");
    ASSERT_THAT(c.reply(), StartsWith("250 2.1.0"));
    c.send("RCPT TO:<c@d.example>\r\n");
    ASSERT_THAT(c.reply(), StartsWith("250 2.1.5"));
    c.send("DATA\r\n");
    ASSERT_EQ(c.reply(), "354 End data with <CR><LF>.<CR><LF>\r\n");
  }

  FakeHandler handler_;
  std::unique_ptr<Server> server_;
};

TEST_F(SmtpSession, GreetingAndEhloKeywords) {
  start();
  Client c(server_->port());
  EXPECT_EQ(c.reply(), "220 mx.test.example ESMTP SecureMail\r\n");
  c.send("EHLO client.example\r\n");
  EXPECT_EQ(c.reply(),
            "250-mx.test.example\r\n250-PIPELINING\r\n250-SIZE 1048576\r\n250-8BITMIME\r\n"
            "250-BINARYMIME\r\n250-CHUNKING\r\n250-ENHANCEDSTATUSCODES\r\n250 DSN\r\n");  // no STARTTLS without a TLS context
  c.send("HELO client.example\r\n");
  EXPECT_EQ(c.reply(), "250 mx.test.example\r\n");
  c.send("QUIT\r\n");
  EXPECT_EQ(c.reply(), "221 2.0.0 Bye\r\n");
  EXPECT_TRUE(c.closed());
}

TEST_F(SmtpSession, NormalTransactionFillsEnvelope) {
  start();
  Client c(server_->port());
  greet(c);
  c.send("MAIL FROM:<alice@a.example> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=env+2B1\r\n");
  EXPECT_EQ(c.reply(), "250 2.1.0 Ok\r\n");
  c.send("RCPT TO:<bob@b.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+40b.example\r\n");
  EXPECT_EQ(c.reply(), "250 2.1.5 Ok\r\n");
  c.send("RCPT TO:<carol@b.example>\r\n");
  EXPECT_EQ(c.reply(), "250 2.1.5 Ok\r\n");
  c.send("DATA\r\n");
  EXPECT_EQ(c.reply(), "354 End data with <CR><LF>.<CR><LF>\r\n");
  c.send("Subject: hi\r\n\r\nbody\r\n.\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
  c.send("QUIT\r\n");
  EXPECT_EQ(c.reply(), "221 2.0.0 Bye\r\n");

  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.committed.size(), 1u);
  EXPECT_EQ(rec.committed[0], "Subject: hi\r\n\r\nbody\r\n");
  ASSERT_EQ(rec.data_envs.size(), 1u);
  const auto& env = rec.data_envs[0];
  EXPECT_EQ(env.sender, "alice@a.example");
  EXPECT_EQ(env.ret, sm::mail::Ret::hdrs);
  EXPECT_EQ(env.envid, "env+1");
  EXPECT_TRUE(env.body_8bit);
  EXPECT_EQ(env.listener, "inbound");
  EXPECT_EQ(env.client_address, "127.0.0.1");
  EXPECT_EQ(env.helo, "client.example");
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(static_cast<double>(env.arrival), static_cast<double>(now), 5.0);
  ASSERT_EQ(env.recipients.size(), 2u);
  EXPECT_EQ(env.recipients[0].address, "bob@b.example");
  EXPECT_EQ(env.recipients[0].notify, sm::mail::kNotifySuccess | sm::mail::kNotifyFailure);
  EXPECT_EQ(env.recipients[0].orcpt, "rfc822;bob@b.example");
  EXPECT_EQ(env.recipients[1].address, "carol@b.example");
  EXPECT_EQ(env.recipients[1].notify, 0u);
  const auto& info = rec.data_infos[0];
  EXPECT_EQ(info.peer_address, "127.0.0.1");
  EXPECT_NE(info.peer_port, 0);
  EXPECT_EQ(info.helo, "client.example");
  EXPECT_EQ(info.listener, "inbound");
  EXPECT_FALSE(info.tls);
}

TEST_F(SmtpSession, PipelinedBatchGetsAllRepliesInOneWrite) {
  start();
  Client c(server_->port());
  greet(c);
  c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nRCPT TO:<bad@d.example>\r\n"
         "RCPT TO:<e@d.example>\r\nDATA\r\n");
  std::string first = c.read_some();  // one write from the server carries every reply
  EXPECT_EQ(first, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
                   "354 End data with <CR><LF>.<CR><LF>\r\n");
  c.send("x\r\n.\r\nRSET\r\nNOOP\r\n");
  EXPECT_EQ(c.read_some(), "250 2.0.0 Ok: queued as ID1\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n");
}

TEST_F(SmtpSession, PipelinedRejectionsAnsweredInOrder) {
  handler_.rcpt_policy = [](const sm::mail::Recipient& r) -> sm::Result<void> {
    if (r.address.starts_with("bad")) return sm::fail(550, "5.1.1", "No such user");
    return {};
  };
  start();
  Client c(server_->port());
  greet(c);
  c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<bad@d.example>\r\nRCPT TO:<ok@d.example>\r\nDATA\r\n");
  EXPECT_EQ(c.reply(), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(c.reply(), "550 5.1.1 No such user\r\n");
  EXPECT_EQ(c.reply(), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(c.reply(), "354 End data with <CR><LF>.<CR><LF>\r\n");
  c.send(".\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.data_envs.size(), 1u);
  ASSERT_EQ(rec.data_envs[0].recipients.size(), 1u);
  EXPECT_EQ(rec.data_envs[0].recipients[0].address, "ok@d.example");
}

// A recipient check that takes a while (a callout) is awaited in order:
// pipelined RCPTs keep their order, one refused by on_rcpt is never
// checked, and only the recipients both took reach the envelope.
TEST_F(SmtpSession, SlowRecipientChecksAnsweredInOrder) {
  handler_.rcpt_policy = [](const sm::mail::Recipient& r) -> sm::Result<void> {
    if (r.address.starts_with("relay")) return sm::fail(554, "5.7.1", "Relay access denied");
    return {};
  };
  handler_.verify_delay = 150ms;
  handler_.verify_refusal = [](const sm::mail::Recipient& r) -> sm::Result<void> {
    if (r.address.starts_with("nobody")) return sm::fail(550, "5.1.1", "<" + r.address + ">: Recipient address rejected");
    return {};
  };
  start();
  Client c(server_->port());
  greet(c);
  c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<nobody@d.example>\r\nRCPT TO:<relay@x.example>\r\n"
         "RCPT TO:<ok@d.example>\r\nDATA\r\n");
  EXPECT_EQ(c.reply(), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(c.reply(), "550 5.1.1 <nobody@d.example>: Recipient address rejected\r\n");
  EXPECT_EQ(c.reply(), "554 5.7.1 Relay access denied\r\n");
  EXPECT_EQ(c.reply(), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(c.reply(), "354 End data with <CR><LF>.<CR><LF>\r\n");
  c.send(".\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
  auto rec = handler_.snapshot();
  EXPECT_EQ(rec.verified, (std::vector<std::string>{"nobody@d.example", "ok@d.example"}));
  ASSERT_EQ(rec.data_envs.size(), 1u);
  ASSERT_EQ(rec.data_envs[0].recipients.size(), 1u);
  EXPECT_EQ(rec.data_envs[0].recipients[0].address, "ok@d.example");
}

// Mailboxes that do not exist count as errors (a directory harvest is cut
// off at max_errors, 3 here); refusals by on_rcpt (relaying) and
// temporary answers do not.
TEST_F(SmtpSession, UnknownRecipientsCountTowardsTheErrorLimit) {
  handler_.rcpt_policy = [](const sm::mail::Recipient& r) -> sm::Result<void> {
    if (r.address.starts_with("relay")) return sm::fail(554, "5.7.1", "Relay access denied");
    return {};
  };
  handler_.verify_refusal = [](const sm::mail::Recipient& r) -> sm::Result<void> {
    if (r.address.starts_with("later")) return sm::fail(451, "4.3.0", "try again later");
    if (r.address.starts_with("guess")) return sm::fail(550, "5.1.1", "Recipient address rejected");
    return {};
  };
  auto o = test_options();
  o.limits.max_errors = 3;
  start(o);
  Client c(server_->port());
  greet(c);
  c.send("MAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(c.reply(), "250 2.1.0 Ok\r\n");
  for (const char* r : {"relay1@x.example", "relay2@x.example", "relay3@x.example", "later1@d.example",
                        "later2@d.example", "later3@d.example", "guess1@d.example", "guess2@d.example"}) {
    c.send(std::string("RCPT TO:<") + r + ">\r\n");
    EXPECT_NE(c.reply().substr(0, 3), "421") << r;
  }
  c.send("RCPT TO:<guess3@d.example>\r\n");
  EXPECT_EQ(c.reply(), "550 5.1.1 Recipient address rejected\r\n");
  EXPECT_EQ(c.reply().substr(0, 10), "421 4.7.0 ");  // the third guess ends the session
  EXPECT_TRUE(c.closed());
}

TEST_F(SmtpSession, DotUnstuffing) {
  start();
  Client c(server_->port());
  greet(c);
  begin_data(c);
  c.send("..leading dot\r\n.\r\n...\r\nend.\r\n.\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.committed.size(), 1u);
  // ".\r\n" on its own line after "..leading dot" is the real end only at CRLF.CRLF:
  // here it comes right after a CRLF, so it ends the message.
  EXPECT_EQ(rec.committed[0], ".leading dot\r\n");
  // The rest was read as commands: "...", "end." and "." are not commands.
  EXPECT_THAT(c.reply(), StartsWith("500 5.5.2"));
  EXPECT_THAT(c.reply(), StartsWith("500 5.5.2"));
  EXPECT_THAT(c.reply(), StartsWith("500 5.5.2"));
  c.send("NOOP\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");
}

TEST_F(SmtpSession, DotUnstuffingKeepsStuffedLines) {
  start();
  Client c(server_->port());
  greet(c);
  begin_data(c);
  c.send("..a\r\n...\r\n.b.\r\n.\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
  EXPECT_EQ(handler_.snapshot().committed.at(0), ".a\r\n..\r\nb.\r\n");
}

// Every smuggling "end of data" must neither end DATA nor let the
// smuggled message through; the genuine CRLF.CRLF ends it with a rejection.
const char* const kSmuggled[] = {"\n.\n",   "\r.\r",   "\r.\n",   "\n.\r",    "\r\n.\n",
                                 "\n.\r\n", "\r.\r\n", "\r\n.\r", "\r\n\0.\r\n", "\r\n.\0\r\n"};

// The fake terminator i (the NUL variants need their explicit length).
std::string fake_end(std::size_t i) {
  if (i == 8) return securemail::test::octets("\r\n\0.\r\n");
  if (i == 9) return securemail::test::octets("\r\n.\0\r\n");
  return kSmuggled[i];
}

TEST_F(SmtpSession, SmuggledEndDoesNotEndData) {
  start();
  Client c(server_->port());
  greet(c);
  for (std::size_t i = 0; i < std::size(kSmuggled); ++i) {
    SCOPED_TRACE(::testing::PrintToString(fake_end(i)));
    begin_data(c);
    c.send("Subject: one\r\n\r\nhello" + fake_end(i));
    EXPECT_TRUE(c.quiet_for(200ms)) << "DATA ended early";
    c.send("\r\n.\r\n");
    EXPECT_THAT(c.reply(), StartsWith("554 5.6.0"));
    c.send("NOOP\r\n");
    EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");
  }
  auto rec = handler_.snapshot();
  EXPECT_TRUE(rec.committed.empty());
  EXPECT_EQ(rec.discarded, static_cast<int>(std::size(kSmuggled)));
}

TEST_F(SmtpSession, SmuggledSecondMessageIsNotAccepted) {
  start();
  Client c(server_->port());
  greet(c);
  for (std::size_t i = 0; i < std::size(kSmuggled); ++i) {
    SCOPED_TRACE(::testing::PrintToString(fake_end(i)));
    begin_data(c);
    c.send("Subject: one\r\n\r\nhello" + fake_end(i) +
           "MAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@d.example>\r\nDATA\r\n"
           "Subject: smuggled\r\n\r\nsmuggled\r\n.\r\nNOOP\r\n");
    EXPECT_THAT(c.reply(), StartsWith("554 5.6.0"));
    EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");  // the NOOP: still in step
  }
  auto rec = handler_.snapshot();
  EXPECT_TRUE(rec.committed.empty());
  for (const auto& m : rec.mails) EXPECT_NE(m.sender, "evil@x.example");
  EXPECT_EQ(rec.mails.size(), std::size(kSmuggled));
}

TEST_F(SmtpSession, BareLfAndCrInCommands) {
  start();
  Client c(server_->port());
  greet(c);
  c.send("NOOP\n");
  EXPECT_EQ(c.reply(), "500 5.5.2 Error: bare CR or LF not allowed in commands\r\n");
  c.send("NO\rOP\r\n");
  EXPECT_THAT(c.reply(), StartsWith("500 5.5.2"));
  c.send("NOOP\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");
}

TEST_F(SmtpSession, CommandLineLimit) {
  start();
  Client c(server_->port());
  greet(c);
  std::string ok_line = "NOOP " + std::string(1000 - 5 - 2, 'x') + "\r\n";
  ASSERT_EQ(ok_line.size(), 1000u);
  c.send(ok_line);
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");
  std::string long_line = "NOOP " + std::string(1000 - 5 - 1, 'x') + "\r\n";
  ASSERT_EQ(long_line.size(), 1001u);
  c.send(long_line + "NOOP\r\n");
  EXPECT_EQ(c.reply(), "500 5.5.2 Error: line too long\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");
  // A huge line is skipped without being buffered, and the session recovers.
  c.send(std::string(300000, 'y') + "\r\nNOOP\r\n");
  EXPECT_EQ(c.reply(), "500 5.5.2 Error: line too long\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");
}

TEST_F(SmtpSession, DataLineLimit) {
  start();
  Client c(server_->port());
  greet(c);
  begin_data(c);
  c.send(std::string(998, 'x') + "\r\n.\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
  begin_data(c);
  c.send(std::string(999, 'x') + "\r\nmore\r\n.\r\n");
  EXPECT_EQ(c.reply(), "500 5.5.2 Message rejected: line too long\r\n");
  c.send("NOOP\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(handler_.snapshot().committed.size(), 1u);
}

TEST_F(SmtpSession, RecipientLimit) {
  auto o = test_options();
  o.limits.max_recipients = 3;
  start(o);
  Client c(server_->port());
  greet(c);
  c.send("MAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(c.reply(), "250 2.1.0 Ok\r\n");
  for (int i = 0; i < 3; ++i) {
    c.send("RCPT TO:<r" + std::to_string(i) + "@d.example>\r\n");
    EXPECT_EQ(c.reply(), "250 2.1.5 Ok\r\n");
  }
  c.send("RCPT TO:<r3@d.example>\r\n");
  EXPECT_EQ(c.reply(), "452 4.5.3 Error: too many recipients\r\n");
  c.send("DATA\r\n");
  EXPECT_THAT(c.reply(), StartsWith("354"));
  c.send("x\r\n.\r\n");
  EXPECT_THAT(c.reply(), StartsWith("250 2.0.0"));
  EXPECT_EQ(handler_.snapshot().data_envs.at(0).recipients.size(), 3u);
}

TEST_F(SmtpSession, MessageSizeLimit) {
  auto o = test_options();
  o.limits.max_message_size = 1000;
  start(o);
  Client c(server_->port());
  greet(c);
  c.send("MAIL FROM:<a@b.example> SIZE=1001\r\n");
  EXPECT_EQ(c.reply(), "552 5.3.4 Message size exceeds fixed limit\r\n");
  c.send("MAIL FROM:<a@b.example> SIZE=1000\r\n");
  EXPECT_EQ(c.reply(), "250 2.1.0 Ok\r\n");
  c.send("RCPT TO:<c@d.example>\r\nDATA\r\n");
  EXPECT_THAT(c.reply(), StartsWith("250"));
  EXPECT_THAT(c.reply(), StartsWith("354"));
  std::string body = std::string(98, 'x') + "\r\n";  // 100 octets
  std::string exact;
  for (int i = 0; i < 10; ++i) exact += body;
  c.send(exact + ".\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
  begin_data(c);
  c.send("y" + exact + ".\r\n");  // 1001 octets
  EXPECT_EQ(c.reply(), "552 5.3.4 Message size exceeds fixed limit\r\n");
  c.send("NOOP\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.committed.size(), 1u);
  EXPECT_EQ(rec.committed[0], exact);
  EXPECT_EQ(rec.discarded, 1);
}

TEST_F(SmtpSession, LargeMessageIsStreamedInChunks) {
  start();
  Client c(server_->port());
  greet(c);
  begin_data(c);
  std::string line = std::string(78, 'z') + "\r\n";
  std::string body;
  while (body.size() < 600 * 1024) body += line;
  c.send(body + ".\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.committed.size(), 1u);
  EXPECT_EQ(rec.committed[0], body);
  EXPECT_GE(rec.chunk_sizes.size(), 5u);
  for (auto n : rec.chunk_sizes) EXPECT_LE(n, 128u * 1024);
}

TEST_F(SmtpSession, CommandTimeout) {
  auto o = test_options();
  o.limits.command_timeout = std::chrono::seconds(1);
  start(o);
  Client c(server_->port());
  greet(c);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(c.reply(), "421 4.4.2 mx.test.example Error: timeout exceeded\r\n");
  EXPECT_TRUE(c.closed());
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 900ms);
  EXPECT_LE(waited, 3s);
}

TEST_F(SmtpSession, CommandTimeoutDuringData) {
  auto o = test_options();
  o.limits.command_timeout = std::chrono::seconds(1);
  start(o);
  Client c(server_->port());
  greet(c);
  begin_data(c);
  c.send("partial message\r\n");
  EXPECT_THAT(c.reply(), StartsWith("421 4.4.2"));
  EXPECT_TRUE(c.closed());
  auto rec = handler_.snapshot();
  EXPECT_TRUE(rec.committed.empty());
  EXPECT_EQ(rec.discarded, 1);
}

TEST_F(SmtpSession, SessionTimeout) {
  auto o = test_options();
  o.limits.session_timeout = std::chrono::seconds(2);
  start(o);
  Client c(server_->port());
  greet(c);
  std::string last;
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(400ms);
    c.send("NOOP\r\n");
    last = c.reply();
    if (last != "250 2.0.0 Ok\r\n") break;
  }
  EXPECT_EQ(last, "421 4.4.2 mx.test.example Error: session time limit exceeded\r\n");
  EXPECT_TRUE(c.closed());
}

TEST_F(SmtpSession, TooManyErrors) {
  auto o = test_options();
  o.limits.max_errors = 3;
  start(o);
  Client c(server_->port());
  greet(c);
  c.send("BOGUS\r\nRCPT TO:<a@b.example>\r\nMAIL FROM:broken\r\nNOOP\r\n");
  EXPECT_THAT(c.reply(), StartsWith("502 5.5.1"));
  EXPECT_THAT(c.reply(), StartsWith("503 5.5.1"));
  EXPECT_THAT(c.reply(), StartsWith("501 5.5.4"));
  EXPECT_EQ(c.reply(), "421 4.7.0 mx.test.example Error: too many errors\r\n");
  EXPECT_TRUE(c.closed());
}

TEST_F(SmtpSession, SequenceAndMiscCommands) {
  start();
  Client c(server_->port());
  c.reply();
  c.send("MAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: send HELO/EHLO first\r\n");
  c.send("HELO client.example\r\n");
  EXPECT_EQ(c.reply(), "250 mx.test.example\r\n");
  c.send("MAIL FROM:<a@b.example> SIZE=10\r\n");
  EXPECT_THAT(c.reply(), StartsWith("555 5.5.4"));  // parameters need EHLO
  c.send("RCPT TO:<c@d.example>\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: need MAIL command\r\n");
  c.send("DATA\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: need MAIL command\r\n");
  c.send("MAIL FROM:<>\r\n");
  EXPECT_EQ(c.reply(), "250 2.1.0 Ok\r\n");
  c.send("MAIL FROM:<>\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: nested MAIL command\r\n");
  c.send("DATA\r\n");
  EXPECT_EQ(c.reply(), "554 5.5.1 Error: no valid recipients\r\n");
  c.send("RSET\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");
  c.send("RCPT TO:<c@d.example>\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: need MAIL command\r\n");  // RSET ended the transaction
  c.send("VRFY bob\r\n");
  EXPECT_THAT(c.reply(), StartsWith("252 2.5.0"));
  c.send("HELP\r\n");
  EXPECT_THAT(c.reply(), StartsWith("214 2.0.0"));
  c.send("EXPN staff\r\n");
  EXPECT_EQ(c.reply(), "502 5.5.1 Command not implemented\r\n");
  c.send("STARTTLS\r\n");
  EXPECT_EQ(c.reply(), "502 5.5.1 Error: command not implemented\r\n");
  c.send("EHLO again.example\r\n");
  EXPECT_THAT(c.reply(), StartsWith("250-mx.test.example"));
  c.send("MAIL FROM:<a@b.example>\r\n");
  EXPECT_THAT(c.reply(), StartsWith("250 2.1.0"));
  c.send("EHLO again.example\r\n");
  EXPECT_THAT(c.reply(), StartsWith("250-mx.test.example"));
  c.send("RCPT TO:<c@d.example>\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: need MAIL command\r\n");  // EHLO reset the transaction
}

// Issue 11, defect 12: text sent after DATA before the 354 would be taken
// as the message; like Postfix 3.9 (smtpd_forbid_unauth_pipelining), a
// command that must end a group followed by more input, or any pipelining
// by a client that did not say EHLO, ends the session with 554 5.5.0.
TEST_F(SmtpSession, ImproperPipeliningEndsTheSession) {
  const char* batches[] = {
      "MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n",
      "NOOP\r\nMAIL FROM:<a@b.example>\r\n",
  };
  for (const char* batch : batches) {
    start();
    Client c(server_->port());
    greet(c);
    c.send(batch);
    std::string replies;
    for (int i = 0; i < 20 && !c.closed(); ++i) replies += c.reply();
    EXPECT_NE(replies.find("554 5.5.0 Error: SMTP protocol synchronization\r\n"), std::string::npos) << replies;
    EXPECT_EQ(replies.find("354"), std::string::npos) << replies;
    EXPECT_TRUE(handler_.snapshot().committed.empty());
    server_.reset();
  }
  // EHLO pipelined with MAIL; and any pipelining by a client that said HELO.
  for (bool helo : {false, true}) {
    start();
    Client c(server_->port());
    c.reply();
    if (helo) {
      c.send("HELO c.example\r\n");
      EXPECT_EQ(c.reply(), "250 mx.test.example\r\n");
      c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n");
    } else {
      c.send("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n");
    }
    std::string replies;
    for (int i = 0; i < 20 && !c.closed(); ++i) replies += c.reply();
    EXPECT_NE(replies.find("554 5.5.0"), std::string::npos) << replies;
  }
}

// Issue 11, defect 5: the same recipient twice (domain in any case) is
// accepted and kept once, as Postfix's duplicate filter does.
TEST_F(SmtpSession, RepeatedRecipientIsKeptOnce) {
  start();
  Client c(server_->port());
  greet(c);
  c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<bob@d.example>\r\nRCPT TO:<bob@D.Example>\r\n"
         "RCPT TO:<Bob@d.example>\r\nRCPT TO:<bob@d.example>\r\nDATA\r\n");
  for (int i = 0; i < 5; ++i) EXPECT_THAT(c.reply(), StartsWith("250 "));  // MAIL and four RCPTs
  EXPECT_THAT(c.reply(), StartsWith("354"));
  c.send("x\r\n.\r\n");
  EXPECT_THAT(c.reply(), StartsWith("250 2.0.0"));
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.data_envs.size(), 1u);
  ASSERT_EQ(rec.data_envs[0].recipients.size(), 2u);  // the local part is case-sensitive (RFC 5321 2.4)
  EXPECT_EQ(rec.data_envs[0].recipients[0].address, "bob@d.example");
  EXPECT_EQ(rec.data_envs[0].recipients[1].address, "Bob@d.example");
}

TEST_F(SmtpSession, HandlerErrorsBecomeReplies) {
  handler_.mail_policy = [](const sm::mail::Envelope& e) -> sm::Result<void> {
    if (e.sender == "spam@x.example") return sm::fail(550, "5.7.1", "Sender refused");
    return {};
  };
  start();
  Client c(server_->port());
  greet(c);
  c.send("MAIL FROM:<spam@x.example>\r\n");
  EXPECT_EQ(c.reply(), "550 5.7.1 Sender refused\r\n");
  handler_.data_error = sm::Error{451, "4.3.0", "Queue unavailable"};
  c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
  c.reply();
  c.reply();
  EXPECT_EQ(c.reply(), "451 4.3.0 Queue unavailable\r\n");
  {
    std::lock_guard lock(handler_.mutex);
    handler_.data_error.reset();
    handler_.commit_error = sm::Error{452, "4.3.1", "Insufficient\r\nsystem storage"};
  }
  c.send("DATA\r\n");
  EXPECT_THAT(c.reply(), StartsWith("354"));
  c.send("x\r\n.\r\n");
  EXPECT_EQ(c.reply(), "452 4.3.1 Insufficient??system storage\r\n");  // CR/LF never reach the wire
  {
    std::lock_guard lock(handler_.mutex);
    handler_.commit_error.reset();
    handler_.write_error = sm::Error{552, "5.3.4", "Sink full"};
  }
  begin_data(c);
  c.send("x\r\n.\r\n");
  EXPECT_EQ(c.reply(), "552 5.3.4 Sink full\r\n");
  EXPECT_TRUE(handler_.snapshot().committed.empty());
}

TEST_F(SmtpSession, HandlerExceptionClosesOnlyThatSession) {
  handler_.mail_policy = [](const sm::mail::Envelope&) -> sm::Result<void> {
    throw std::runtime_error("boom");
  };
  start();
  Client c(server_->port());
  greet(c);
  c.send("MAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(c.reply(), "");  // closed without a reply
  {
    std::lock_guard lock(handler_.mutex);
    handler_.mail_policy = nullptr;
  }
  Client d(server_->port());
  greet(d);
  d.send("NOOP\r\n");
  EXPECT_EQ(d.reply(), "250 2.0.0 Ok\r\n");
}

// --- STARTTLS ---------------------------------------------------------------

// The server context is the product's (net::server_tls_context), so it asks
// every client for a certificate; clients without one must not notice.
class SmtpTls : public SmtpSession {
 protected:
  void SetUp() override {
    dir_ = tmp_.path.string();
    ASSERT_TRUE(sm::net::ensure_self_signed(dir_ + "/cert.pem", dir_ + "/key.pem", "mx.test.example"));
    ASSERT_TRUE(sm::net::ensure_self_signed(client_cert(), client_key(), "gw.a.example"));
    auto server_ctx = sm::net::server_tls_context(dir_ + "/cert.pem", dir_ + "/key.pem");
    ASSERT_TRUE(server_ctx) << server_ctx.error().text;
    auto o = test_options();
    o.tls = *server_ctx;
    start(o);
  }

  std::string client_cert() const { return dir_ + "/client/cert.pem"; }
  std::string client_key() const { return dir_ + "/client/key.pem"; }
  std::string client_fingerprint() const {
    auto x = sm::pki::read_certificate(client_cert());
    return x ? sm::pki::fingerprint(x->get()) : "unreadable";
  }
  // EHLO, STARTTLS with `ctx`, EHLO again, one message.
  void send_over_tls(Client& c, asio::ssl::context& ctx) {
    greet(c);
    c.send("STARTTLS\r\n");
    ASSERT_EQ(c.reply(), "220 2.0.0 Ready to start TLS\r\n");
    c.start_tls(ctx);
    c.send("EHLO client.example\r\n");
    ASSERT_THAT(c.reply(), StartsWith("250"));
    begin_data(c);
    c.send("secret\r\n.\r\n");
    ASSERT_THAT(c.reply(), StartsWith("250 2.0.0 Ok: queued as"));
  }

  sm::test_support::TempDir tmp_;
  std::string dir_;
  asio::ssl::context client_ctx_{asio::ssl::context::tls_client};  // verify_none by default
};

TEST_F(SmtpTls, StartTlsThenTransaction) {
  Client c(server_->port());
  c.reply();
  c.send("EHLO client.example\r\n");
  EXPECT_THAT(c.reply(), HasSubstr("250 STARTTLS\r\n"));
  c.send("STARTTLS\r\n");
  EXPECT_EQ(c.reply(), "220 2.0.0 Ready to start TLS\r\n");
  c.start_tls(client_ctx_);
  c.send("MAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: send HELO/EHLO first\r\n");  // state was reset
  c.send("EHLO client.example\r\n");
  EXPECT_THAT(c.reply(), Not(HasSubstr("STARTTLS")));
  c.send("STARTTLS\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: TLS already active\r\n");
  begin_data(c);
  c.send("secret\r\n.\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
  c.send("QUIT\r\n");
  EXPECT_EQ(c.reply(), "221 2.0.0 Bye\r\n");
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.data_infos.size(), 1u);
  EXPECT_TRUE(rec.data_infos[0].tls);
  EXPECT_THAT(rec.data_infos[0].tls_version, StartsWith("TLSv1."));
  EXPECT_FALSE(rec.data_infos[0].tls_cipher.empty());
  EXPECT_EQ(rec.data_infos[0].peer_cert_sha256, "");  // asked, none shown, still welcome
  EXPECT_EQ(rec.committed.at(0), "secret\r\n");
}

TEST_F(SmtpTls, ClientCertificateFingerprintReachesHandler) {
  sm::net::ClientTlsPolicy policy;
  policy.cert_file = client_cert();
  policy.key_file = client_key();
  auto ctx = sm::net::client_tls_context(policy);
  ASSERT_TRUE(ctx) << ctx.error().text;
  Client c(server_->port());
  send_over_tls(c, **ctx);
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.data_infos.size(), 1u);
  EXPECT_EQ(rec.data_infos[0].peer_cert_sha256.size(), 64u);
  EXPECT_EQ(rec.data_infos[0].peer_cert_sha256, client_fingerprint());

  Client plain(server_->port());  // the next session starts without one
  send_over_tls(plain, client_ctx_);
  rec = handler_.snapshot();
  ASSERT_EQ(rec.data_infos.size(), 2u);
  EXPECT_EQ(rec.data_infos[1].peer_cert_sha256, "");
}

// Being asked for a certificate must not trouble ordinary clients: Python's
// smtplib and swaks, each with and without one.
TEST_F(SmtpTls, IndependentClientsWithAndWithoutCertificate) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3";
  std::string script = dir_ + "/send.py";
  std::ofstream(script) << R"PY(
import smtplib, ssl, sys
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if cert:
    ctx.load_cert_chain(cert, key)
with smtplib.SMTP('127.0.0.1', port, local_hostname='client.example', timeout=10) as s:
    s.starttls(context=ctx)
    s.sendmail('a@b.example', ['c@d.example'], b'Subject: t\r\n\r\nbody\r\n')
)PY";
  std::string port = std::to_string(server_->port());
  ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " " + port + " '' ''").c_str()), 0);
  ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " " + port + " " + client_cert() + " " +
                         client_key()).c_str()), 0);
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.data_infos.size(), 2u);
  EXPECT_TRUE(rec.data_infos[0].tls);
  EXPECT_EQ(rec.data_infos[0].peer_cert_sha256, "");
  EXPECT_EQ(rec.data_infos[1].peer_cert_sha256, client_fingerprint());

  // swaks does TLS only with Net::SSLeay (Debian: libnet-ssleay-perl).
  if (std::system("/usr/bin/swaks --version >/dev/null 2>&1 && perl -MNet::SSLeay -e1 2>/dev/null") != 0) {
    GTEST_SKIP() << "no swaks with TLS support";
  }
  std::string swaks = "/usr/bin/swaks --silent 2 --server 127.0.0.1 --port " + port +
                      " --helo client.example --from a@b.example --to c@d.example --tls";
  ASSERT_EQ(std::system(swaks.c_str()), 0);
  ASSERT_EQ(std::system((swaks + " --tls-cert " + client_cert() + " --tls-key " + client_key()).c_str()), 0);
  rec = handler_.snapshot();
  ASSERT_EQ(rec.data_infos.size(), 4u);
  EXPECT_TRUE(rec.data_infos[2].tls);
  EXPECT_EQ(rec.data_infos[2].peer_cert_sha256, "");
  EXPECT_EQ(rec.data_infos[3].peer_cert_sha256, client_fingerprint());
}

TEST_F(SmtpTls, PipelinedCommandAfterStartTlsIsDiscarded) {
  Client c(server_->port());
  c.reply();
  c.send("EHLO client.example\r\n");
  c.reply();
  c.send("STARTTLS\r\nMAIL FROM:<evil@x.example>\r\n");  // one write
  EXPECT_EQ(c.reply(), "220 2.0.0 Ready to start TLS\r\n");
  c.start_tls(client_ctx_);
  c.send("NOOP\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");  // the first reply over TLS is the NOOP's
  c.send("EHLO client.example\r\n");
  c.reply();
  c.send("MAIL FROM:<good@x.example>\r\n");
  EXPECT_EQ(c.reply(), "250 2.1.0 Ok\r\n");  // no transaction was left open by the injection
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.mails.size(), 1u);
  EXPECT_EQ(rec.mails[0].sender, "good@x.example");
}

TEST_F(SmtpTls, StartTlsRefusedDuringTransaction) {
  Client c(server_->port());
  greet(c);
  c.send("MAIL FROM:<a@b.example>\r\nSTARTTLS\r\n");
  EXPECT_THAT(c.reply(), StartsWith("250 2.1.0"));
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: MAIL transaction in progress\r\n");
}

TEST_F(SmtpTls, GarbageHandshakeClosesSession) {
  Client c(server_->port());
  c.reply();
  c.send("STARTTLS\r\n");
  EXPECT_EQ(c.reply(), "220 2.0.0 Ready to start TLS\r\n");
  c.send("this is not a TLS ClientHello\r\n");
  EXPECT_TRUE(c.closed());
}

}  // namespace
