// delivery_smtp_client_bdat_test.cpp - the client's choice of DATA or
// BDAT (RFC 3030) against the scripted server of smtp_test_server.h:
// chunks as stored (no dot-stuffing), several chunks pipelined with the
// envelope, lock-step without PIPELINING, BODY=BINARYMIME to a peer that
// offers it, our sealed binary copy converted to base64 for a peer with
// CHUNKING only (Postfix) or without CHUNKING, a foreign binary message
// refused (554 5.6.3), a refused chunk, and LMTP staying with DATA.
#include <openssl/evp.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "delivery_smtp_client_fixture.h"
#include "smtp_test_server.h"
#include "octets.h"

using namespace sm::delivery;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using sm::testing::FakeServer;
using sm::testing::ServerConfig;
using sm_test_client::SmtpClientTest;

namespace {

const std::vector<std::string> kChunking = {"PIPELINING", "SIZE 10000000", "8BITMIME", "CHUNKING",
                                            "ENHANCEDSTATUSCODES"};

// Our sealed form as delivery sees it: the header seal() writes with
// Content-Transfer-Encoding: binary, then octets no DATA could carry.
std::string sealed_binary() {
  std::string body = "From: a@a.example\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name=\"smime.p7m\"\r\n"
                     "Content-Transfer-Encoding: binary\r\n\r\n";
  body += securemail::test::octets("\x30\x80\x06\x09\r\n.\r\n\x00\n\r\xff");
  for (int i = 0; i < 1000; ++i) body += static_cast<char>(i * 13);
  return body;
}

bool has_prefix(const std::vector<std::string>& cmds, const std::string& prefix) {
  return std::any_of(cmds.begin(), cmds.end(), [&](const std::string& c) { return c.starts_with(prefix); });
}

class SmtpClientBdat : public SmtpClientTest {
 protected:
  void sealed_copy() {
    env.body_binary = true;
    env.sealed_for = "member-b";
  }
};

TEST_F(SmtpClientBdat, ChunkingPeerGetsTheBodyAsStored) {
  ServerConfig cfg;
  cfg.caps = kChunking;
  cfg.strict_pipelining = true;  // MAIL/RCPT replies only come with the BDAT reply
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0, 2}, store(body));
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  EXPECT_EQ(*out[0].result, "250 2.0.0 Ok: queued as ABC0");
  ASSERT_TRUE(out[1].result);
  auto s = srv.sessions().at(0);
  ASSERT_EQ(s.bdat_data.size(), 1u);
  EXPECT_EQ(s.bdat_data[0], body);  // no dot-stuffing, no line end added
  EXPECT_TRUE(s.raw_data.empty());
  EXPECT_THAT(s.commands, Contains("BDAT " + std::to_string(body.size()) + " LAST"));
  EXPECT_THAT(s.commands, Not(Contains("DATA")));
  EXPECT_THAT(s.commands, Contains("MAIL FROM:<alice@example.org> SIZE=" + std::to_string(body.size())));
}

TEST_F(SmtpClientBdat, LargeBodyInPipelinedChunks) {
  ServerConfig cfg;
  cfg.caps = kChunking;
  FakeServer srv(cfg);
  std::string big = "Subject: big\r\n\r\n";
  while (big.size() < 300 * 1024) big += "0123456789abcdef\n";  // bare LF: BDAT carries it as is
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0}, store(big));
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  auto s = srv.sessions().at(0);
  ASSERT_EQ(s.bdat_data.size(), 1u);
  EXPECT_EQ(s.bdat_data[0], big);
  EXPECT_EQ(s.bdat_chunks, (std::vector<std::size_t>{131072, 131072, big.size() - 262144}));
  EXPECT_THAT(s.commands, Contains("BDAT " + std::to_string(big.size() - 262144) + " LAST"));
}

TEST_F(SmtpClientBdat, WithoutPipeliningChunksGoInLockStep) {
  ServerConfig cfg;
  cfg.caps = {"CHUNKING"};
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0}, store(""));  // an empty message: one empty LAST chunk
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  auto s = srv.sessions().at(0);
  EXPECT_THAT(s.commands, Contains("BDAT 0 LAST"));
  ASSERT_EQ(s.bdat_data.size(), 1u);
  EXPECT_EQ(s.bdat_data[0], "");
}

TEST_F(SmtpClientBdat, BinaryMimePeerGetsTheSealedCopyAsStored) {
  ServerConfig cfg;
  cfg.caps = kChunking;
  cfg.caps.push_back("BINARYMIME");
  FakeServer srv(cfg);
  sealed_copy();
  std::string sealed = sealed_binary();
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0}, store(sealed));
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  auto s = srv.sessions().at(0);
  EXPECT_THAT(s.commands, Contains("MAIL FROM:<alice@example.org> SIZE=" + std::to_string(sealed.size()) +
                                   " BODY=BINARYMIME"));
  ASSERT_EQ(s.bdat_data.size(), 1u);
  EXPECT_EQ(s.bdat_data[0], sealed);
}

// Postfix offers CHUNKING but not BINARYMIME; without CHUNKING it is DATA.
TEST_F(SmtpClientBdat, SealedCopyConvertedToBase64ForOtherPeers) {
  sealed_copy();
  std::string sealed = sealed_binary();
  std::size_t header_end = sealed.find("\r\n\r\n") + 4;
  for (bool chunking : {true, false}) {
    ServerConfig cfg;
    if (chunking) cfg.caps = kChunking;
    FakeServer srv(cfg);
    SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
    auto out = deliver(c, {0}, store(sealed));
    ASSERT_TRUE(out[0].result) << out[0].result.error().text;
    auto s = srv.sessions().at(0);
    EXPECT_FALSE(has_prefix(s.commands, "MAIL FROM:<alice@example.org> SIZE=" + std::to_string(sealed.size())));
    for (const auto& cmd : s.commands) EXPECT_THAT(cmd, Not(HasSubstr("BODY=")));
    std::string got = chunking ? s.bdat_data.at(0) : s.raw_data.at(0);
    std::string header = sealed.substr(0, header_end);
    header.replace(header.find("binary"), 6, "base64");
    ASSERT_EQ(got.substr(0, header.size()), header);
    std::string b64;
    for (char ch : got.substr(header.size()))
      if (ch != '\r' && ch != '\n') b64 += ch;
    std::string decoded(b64.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                            reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
    ASSERT_GT(n, 0);
    decoded.resize(static_cast<std::size_t>(n) - (b64.ends_with("==") ? 2 : b64.ends_with("=") ? 1 : 0));
    EXPECT_EQ(decoded, sealed.substr(header_end)) << (chunking ? "BDAT" : "DATA");
  }
}

TEST_F(SmtpClientBdat, ForeignBinaryMessageIsNotConverted) {
  ServerConfig cfg;
  cfg.caps = kChunking;
  FakeServer srv(cfg);
  env.body_binary = true;  // received with BODY=BINARYMIME, not sealed by us
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0, 2}, store(sealed_binary()));
  for (const auto& o : out) {
    ASSERT_FALSE(o.result);
    EXPECT_EQ(o.result.error().code, 554);
    EXPECT_EQ(o.result.error().enhanced, "5.6.3");
    EXPECT_TRUE(o.result.error().permanent());
    EXPECT_THAT(o.result.error().text, HasSubstr("does not offer BINARYMIME"));
  }
  EXPECT_FALSE(has_prefix(srv.sessions().at(0).commands, "MAIL"));
}

TEST_F(SmtpClientBdat, RefusedChunkFailsTheAcceptedRecipientsAndResets) {
  ServerConfig cfg;
  cfg.caps = kChunking;
  cfg.bdat_refusal = "552 5.3.4 Message size exceeds fixed limit";
  cfg.reject_rcpt = {"bad@example.net"};
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0, 1}, store(body));
  ASSERT_FALSE(out[0].result);
  EXPECT_EQ(out[0].result.error().code, 552);
  EXPECT_THAT(out[0].result.error().text, HasSubstr("in reply to BDAT"));
  ASSERT_FALSE(out[1].result);
  EXPECT_EQ(out[1].result.error().code, 550);
  auto cmds = srv.sessions().at(0).commands;
  EXPECT_THAT(cmds, Contains("RSET"));
  EXPECT_EQ(cmds.back(), "QUIT");
}

TEST_F(SmtpClientBdat, AllRecipientsRefusedSendsNoFurtherChunk) {
  ServerConfig cfg;
  cfg.caps = kChunking;
  cfg.reject_rcpt = {"bob@example.net"};
  FakeServer srv(cfg);
  std::string big(200 * 1024, 'x');
  SmtpClient c(io.get_executor(), hop(srv.port()), opts, nullptr);
  auto out = deliver(c, {0}, store(big));
  ASSERT_FALSE(out[0].result);
  EXPECT_EQ(out[0].result.error().code, 550);
  auto s = srv.sessions().at(0);
  EXPECT_EQ(s.bdat_chunks, std::vector<std::size_t>{131072});  // only the pipelined first one
  EXPECT_THAT(s.commands, Contains("RSET"));
}

TEST_F(SmtpClientBdat, LmtpStaysWithData) {
  ServerConfig cfg;
  cfg.lmtp = true;
  cfg.caps = kChunking;
  FakeServer srv(cfg);
  SmtpClient c(io.get_executor(), hop(srv.port(), true), opts, nullptr);
  auto out = deliver(c, {0}, store(body));
  ASSERT_TRUE(out[0].result) << out[0].result.error().text;
  auto s = srv.sessions().at(0);
  EXPECT_EQ(s.raw_data.size(), 1u);
  EXPECT_TRUE(s.bdat_data.empty());
}

}  // namespace
