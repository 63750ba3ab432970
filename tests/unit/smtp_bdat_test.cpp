// smtp_bdat_test.cpp - RFC 3030 CHUNKING and BINARYMIME in the server
// session over real loopback sockets: chunks taken octet for octet,
// pipelined chunks, the sequence errors (DATA after BINARYMIME or after a
// BDAT, BDAT without EHLO/MAIL/RCPT with its chunk still read), a bad size
// closing the session, the SIZE limit, RSET / QUIT / disconnect between
// and inside chunks, and sink refusals. Harness: smtp_session_harness.h.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "smtp_session_harness.h"
#include "octets.h"

using namespace smtp_test;
using ::testing::StartsWith;

namespace {

sm::smtp::ServerOptions bdat_options(std::uint64_t max_size = 1 << 20) {
  sm::smtp::ServerOptions o;
  o.hostname = "mx.test.example";
  o.listener = "inbound";
  o.limits.max_message_size = max_size;
  o.limits.command_timeout = std::chrono::seconds(10);
  return o;
}

std::string bdat(std::string_view chunk, bool last = false) {
  return "BDAT " + std::to_string(chunk.size()) + (last ? " LAST" : "") + "\r\n" + std::string(chunk);
}

class SmtpBdat : public ::testing::Test {
 protected:
  void start(std::uint64_t max_size = 1 << 20) { server_ = std::make_unique<Server>(bdat_options(max_size), handler_); }
  void greet(Client& c, std::string_view hello = "EHLO client.example\r\n") {
    EXPECT_EQ(c.reply(), "220 mx.test.example ESMTP SecureMail\r\n");
    c.send(hello);
    EXPECT_THAT(c.reply(), StartsWith("250"));
  }
  void envelope(Client& c, std::string_view mail = "MAIL FROM:<a@b.example>\r\n") {
    c.send(mail);
    ASSERT_EQ(c.reply(), "250 2.1.0 Ok\r\n");
    c.send("RCPT TO:<c@d.example>\r\n");
    ASSERT_EQ(c.reply(), "250 2.1.5 Ok\r\n");
  }

  FakeHandler handler_;
  std::unique_ptr<Server> server_;
};

// Bytes DATA would refuse or rewrite: NUL, bare LF, bare CR, a lone dot line.
const std::string kBinary = securemail::test::octets("Subject: x\r\n\r\n\x00\x01\n\r.\r\n..\xff");

TEST_F(SmtpBdat, BinaryMimeChunksAreTakenAsSent) {
  start();
  Client c(server_->port());
  greet(c);
  envelope(c, "MAIL FROM:<a@b.example> BODY=BINARYMIME\r\n");
  c.send(bdat(kBinary.substr(0, 10)));
  EXPECT_EQ(c.reply(), "250 2.0.0 10 octets received\r\n");
  c.send(bdat(kBinary.substr(10)));
  EXPECT_EQ(c.reply(), "250 2.0.0 14 octets received\r\n");
  c.send("BDAT 0 LAST\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.committed.size(), 1u);
  EXPECT_EQ(rec.committed[0], kBinary);
  ASSERT_EQ(rec.data_envs.size(), 1u);  // one sink for the whole message
  EXPECT_TRUE(rec.data_envs[0].body_binary);
  EXPECT_FALSE(rec.data_envs[0].body_8bit);
  // The session goes on: a second transaction with a single LAST chunk.
  envelope(c);
  c.send(bdat("Subject: y\r\n\r\nz\r\n", true));
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID2\r\n");
  EXPECT_FALSE(handler_.snapshot().data_envs[1].body_binary);
}

TEST_F(SmtpBdat, PipelinedChunksGetOneReplyEach) {
  start();
  Client c(server_->port());
  greet(c);
  c.send("MAIL FROM:<a@b.example> BODY=BINARYMIME\r\nRCPT TO:<c@d.example>\r\n" + bdat("Subject: p\r\n") +
         bdat("\r\nBDAT 3\r\n") + bdat("end", true) + "QUIT\r\n");
  std::string replies;
  for (int i = 0; i < 6; ++i) replies += c.reply();
  EXPECT_EQ(replies,
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 12 octets received\r\n250 2.0.0 10 octets received\r\n"
            "250 2.0.0 Ok: queued as ID1\r\n221 2.0.0 Bye\r\n");
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.committed.size(), 1u);
  EXPECT_EQ(rec.committed[0], "Subject: p\r\n\r\nBDAT 3\r\nend");
}

TEST_F(SmtpBdat, LargeChunkBeyondTheInputBuffer) {
  start();
  Client c(server_->port());
  greet(c);
  envelope(c);
  std::string big = "Subject: big\r\n\r\n";
  for (int i = 0; big.size() < 300 * 1024; ++i) big += static_cast<char>(i * 7);
  c.send(bdat(big, true));
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
  auto rec = handler_.snapshot();
  ASSERT_EQ(rec.committed.size(), 1u);
  EXPECT_EQ(rec.committed[0], big);
  for (auto n : rec.chunk_sizes) EXPECT_LE(n, 64u * 1024);  // bounded pieces
}

TEST_F(SmtpBdat, DataAfterBinaryMimeIsRefused) {
  start();
  Client c(server_->port());
  greet(c);
  envelope(c, "MAIL FROM:<a@b.example> BODY=BINARYMIME\r\n");
  c.send("DATA\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: BODY=BINARYMIME requires BDAT\r\n");
  c.send(bdat("Subject: a\r\n\r\n", true));  // the transaction is still open
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
}

TEST_F(SmtpBdat, DataAfterBdatIsRefused) {
  start();
  Client c(server_->port());
  greet(c);
  envelope(c);
  c.send(bdat("Subject: a\r\n"));
  EXPECT_EQ(c.reply(), "250 2.0.0 12 octets received\r\n");
  c.send("DATA\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: DATA not allowed after BDAT\r\n");
  c.send(bdat("\r\nbody", true));
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
  EXPECT_EQ(handler_.snapshot().committed.at(0), "Subject: a\r\n\r\nbody");
}

TEST_F(SmtpBdat, OutOfSequenceChunkIsReadAndDiscarded) {
  start();
  Client c(server_->port());
  EXPECT_THAT(c.reply(), StartsWith("220"));
  c.send("HELO client.example\r\n");
  EXPECT_THAT(c.reply(), StartsWith("250"));
  c.send(bdat("QUIT\r\n"));  // chunk octets are never commands
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: send EHLO first\r\n");
  c.send("EHLO client.example\r\n");
  EXPECT_THAT(c.reply(), StartsWith("250-"));
  c.send(bdat("RSET\r\n", true));
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: need MAIL command\r\n");
  c.send("MAIL FROM:<a@b.example>\r\n" + bdat("NOOP\r\n"));
  EXPECT_EQ(c.reply(), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: need RCPT command\r\n");
  c.send("NOOP\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");
  auto rec = handler_.snapshot();
  EXPECT_TRUE(rec.committed.empty());
  EXPECT_TRUE(rec.data_envs.empty());
}

TEST_F(SmtpBdat, UnreadableSizeClosesTheSession) {
  start();
  Client c(server_->port());
  greet(c);
  envelope(c);
  c.send("BDAT 12x\r\nMAIL FROM:<evil@x.example>\r\n");
  EXPECT_EQ(c.reply(), "501 5.5.4 Syntax: BDAT chunk-size [LAST]\r\n");
  EXPECT_TRUE(c.closed());
  EXPECT_TRUE(handler_.snapshot().committed.empty());
  EXPECT_EQ(handler_.snapshot().mails.size(), 1u);  // the smuggled MAIL was not read
}

TEST_F(SmtpBdat, OverTheSizeLimitRefusedAndSessionKept) {
  start(100);
  Client c(server_->port());
  greet(c);
  envelope(c);
  std::string sixty(60, 'x');
  c.send(bdat(sixty) + bdat(sixty) + bdat(sixty, true));
  EXPECT_EQ(c.reply(), "250 2.0.0 60 octets received\r\n");
  EXPECT_EQ(c.reply(), "552 5.3.4 Message size exceeds fixed limit\r\n");
  EXPECT_EQ(c.reply(), "552 5.3.4 Message size exceeds fixed limit\r\n");
  auto rec = handler_.snapshot();
  EXPECT_TRUE(rec.committed.empty());
  EXPECT_EQ(rec.discarded, 1);
  envelope(c);  // the LAST chunk ended the failed transaction
  c.send(bdat("Subject: ok\r\n\r\n", true));
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok: queued as ID1\r\n");
}

TEST_F(SmtpBdat, RsetBetweenChunksDiscardsTheMessage) {
  start();
  Client c(server_->port());
  greet(c);
  envelope(c);
  c.send(bdat("Subject: a\r\n"));
  EXPECT_THAT(c.reply(), StartsWith("250 2.0.0"));
  c.send("RSET\r\n");
  EXPECT_EQ(c.reply(), "250 2.0.0 Ok\r\n");
  c.send(bdat("rest", true));
  EXPECT_EQ(c.reply(), "503 5.5.1 Error: need MAIL command\r\n");
  auto rec = handler_.snapshot();
  EXPECT_TRUE(rec.committed.empty());
  EXPECT_EQ(rec.discarded, 1);
}

TEST_F(SmtpBdat, QuitBetweenChunksDiscardsTheMessage) {
  start();
  Client c(server_->port());
  greet(c);
  envelope(c);
  c.send(bdat("Subject: a\r\n") + "QUIT\r\n");
  EXPECT_THAT(c.reply(), StartsWith("250 2.0.0"));
  EXPECT_EQ(c.reply(), "221 2.0.0 Bye\r\n");
  EXPECT_TRUE(c.closed());
  for (int i = 0; i < 100 && server_->finished() == 0; ++i) std::this_thread::sleep_for(10ms);
  auto rec = handler_.snapshot();
  EXPECT_TRUE(rec.committed.empty());
  EXPECT_EQ(rec.discarded, 1);
}

TEST_F(SmtpBdat, DisconnectInsideAChunkCommitsNothing) {
  start();
  {
    Client c(server_->port());
    greet(c);
    envelope(c);
    c.send(bdat("Subject: a\r\n"));
    EXPECT_THAT(c.reply(), StartsWith("250 2.0.0"));
    c.send("BDAT 100 LAST\r\nonly part of it");
  }
  for (int i = 0; i < 200 && server_->finished() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server_->finished(), 1);
  auto rec = handler_.snapshot();
  EXPECT_TRUE(rec.committed.empty());
  EXPECT_EQ(rec.discarded, 1);
}

TEST_F(SmtpBdat, SinkRefusalsAreTheReplies) {
  handler_.write_error = sm::Error{452, "4.3.1", "Insufficient system storage"};
  start();
  Client c(server_->port());
  greet(c);
  envelope(c);
  c.send(bdat("Subject: a\r\n") + bdat("more", true));
  EXPECT_EQ(c.reply(), "452 4.3.1 Insufficient system storage\r\n");
  EXPECT_EQ(c.reply(), "452 4.3.1 Insufficient system storage\r\n");
  {
    std::lock_guard lock(handler_.mutex);
    handler_.write_error.reset();
    handler_.commit_error = sm::Error{550, "5.7.1", "Message refused"};
  }
  envelope(c);
  c.send(bdat("Subject: b\r\n\r\n", true));
  EXPECT_EQ(c.reply(), "550 5.7.1 Message refused\r\n");
  {
    std::lock_guard lock(handler_.mutex);
    handler_.commit_error.reset();
    handler_.data_error = sm::Error{451, "4.3.0", "Try later"};
  }
  envelope(c);
  c.send(bdat("Subject: c\r\n\r\n", true));
  EXPECT_EQ(c.reply(), "451 4.3.0 Try later\r\n");
  EXPECT_TRUE(handler_.snapshot().committed.empty());
}

}  // namespace
