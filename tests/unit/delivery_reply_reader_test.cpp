// delivery_reply_reader_test.cpp - ReplyReader and parse_capabilities
// (src/delivery/reply_reader.h) without a socket.
#include <gtest/gtest.h>

#include <string>

#include "delivery/reply_reader.h"

using namespace sm::delivery;

namespace {

// Every reply in `stream`, fed `chunk` octets at a time; "broken" last if it broke.
std::vector<std::string> read_all(std::string_view stream, std::size_t chunk) {
  std::vector<std::string> out;
  ReplyReader reader;
  std::string buf;
  std::size_t pos = 0;
  while (true) {
    auto s = reader.read(buf);
    if (s == ReplyReader::Status::broken) {
      out.push_back("broken: " + reader.why());
      return out;
    }
    if (s == ReplyReader::Status::complete) {
      const auto& r = reader.reply();
      out.push_back(std::to_string(r.code) + "|" + r.enhanced + "|" + r.text);
      continue;
    }
    if (pos >= stream.size()) return out;
    buf.append(stream.substr(pos, chunk));
    pos += chunk;
  }
}

}  // namespace

TEST(ReplyReader, MultiLineReplyWithEnhancedCodes) {
  auto r = read_all("250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n550 5.1.1 no such user\r\n", 1000);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], "250||mx.example\nPIPELINING\nSIZE 1000");
  EXPECT_EQ(r[1], "550|5.1.1|no such user");
}

TEST(ReplyReader, EnhancedCodeOfAnotherClassIsText) {
  EXPECT_EQ(read_all("550 4.1.1 odd\r\n", 100)[0], "550||4.1.1 odd");
}

TEST(ReplyReader, MalformedAndControlCharacters) {
  EXPECT_EQ(read_all("hello\r\n", 100)[0], "broken: malformed reply 'hello'");
  EXPECT_EQ(read_all("250 a\tb\x01" "c\r\n", 100)[0], "250||a b?c");
}

// A line of exactly the limit must not depend on how TCP cut it: its CR
// may arrive before its LF.
TEST(ReplyReader, LongestLineWhateverTheSegmentation) {
  std::string line = "250 " + std::string(kMaxReplyLine - 4, 'x') + "\r\n";
  for (std::size_t chunk : {1u, 7u, 4096u, 4097u, 10000u}) {
    auto r = read_all(line, chunk);
    ASSERT_EQ(r.size(), 1u) << chunk;
    EXPECT_EQ(r[0].substr(0, 5), "250||") << chunk;
  }
  std::string over = "250 " + std::string(kMaxReplyLine - 3, 'x') + "\r\n";
  for (std::size_t chunk : {1u, 4097u, 10000u}) EXPECT_EQ(read_all(over, chunk), std::vector<std::string>{"broken: reply line too long"});
}

TEST(ReplyCapabilities, KeywordsAndSize) {
  auto c = parse_capabilities("mx.example\nPIPELINING\nsize 10240000\n8BITMIME\nSTARTTLS\nDSN\nSMTPUTF8\nENHANCEDSTATUSCODES");
  EXPECT_TRUE(c.esmtp && c.pipelining && c.size && c.eightbitmime && c.starttls && c.dsn && c.smtputf8 && c.enhanced_status);
  EXPECT_EQ(c.size_limit, 10240000u);
  EXPECT_EQ(parse_capabilities("mx\nSIZE").size_limit, 0u);
  EXPECT_EQ(parse_capabilities("mx\nSIZE 99999999999999999999999").size_limit, 0u);
  EXPECT_FALSE(parse_capabilities("PIPELINING").pipelining);  // the first line is the greeting
  EXPECT_FALSE(c.chunking || c.binarymime);
}

TEST(ReplyCapabilities, ChunkingAndBinaryMime) {
  auto both = parse_capabilities("mx\nchunking\nBINARYMIME");
  EXPECT_TRUE(both.chunking && both.binarymime);
  auto postfix = parse_capabilities("mx\nPIPELINING\nCHUNKING\n8BITMIME");  // Postfix >= 3.4
  EXPECT_TRUE(postfix.chunking);
  EXPECT_FALSE(postfix.binarymime);
}

// Found by the smtp_reply fuzz target: the code came from the last line and
// the enhanced status from the first, so "250-2.1.5" + "550" read as a 550
// with status 2.1.5. Lines of one reply must share their code.
TEST(ReplyReader, LinesWithDifferentCodesBreakTheReply) {
  EXPECT_EQ(read_all("250-2.1.5 ok\r\n550 5.1.1 no\r\n", 100),
            std::vector<std::string>{"broken: reply lines with different codes"});
}
