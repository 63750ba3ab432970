// smtp_data_test.cpp - the DATA state machine alone: the only terminator,
// dot-unstuffing, each smuggling variant, NUL, line and size limits, and
// that feeding byte by byte gives the same result as one block.
#include "smtp/data.h"
#include "smtp/input.h"
#include "octets.h"

#include <gtest/gtest.h>

using namespace sm::smtp;

namespace {

struct Outcome {
  std::string body;
  std::size_t consumed = 0;
  bool done = false;
  DataFault fault = DataFault::none;
};

Outcome run(std::string_view in, std::size_t max_line = 1000, std::uint64_t max_size = 1 << 20,
            bool bytewise = false) {
  DataParser p(max_line, max_size);
  Outcome o;
  if (bytewise) {
    for (std::size_t i = 0; i < in.size() && !p.done(); ++i) o.consumed += p.feed(in.substr(i, 1), o.body);
  } else {
    o.consumed = p.feed(in, o.body);
  }
  o.done = p.done();
  o.fault = p.fault();
  return o;
}

}  // namespace

TEST(SmtpData, EndsOnlyAtCrlfDotCrlf) {
  auto o = run("Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.fault, DataFault::none);
  EXPECT_EQ(o.body, "Subject: x\r\n\r\nhello\r\n");
  EXPECT_EQ(o.consumed, std::string_view("Subject: x\r\n\r\nhello\r\n.\r\n").size());
  auto empty = run(".\r\n");
  EXPECT_TRUE(empty.done);
  EXPECT_EQ(empty.body, "");
  EXPECT_FALSE(run("hello\r\n.").done);
  EXPECT_FALSE(run("hello\r\n.\r").done);
  EXPECT_FALSE(run("hello\r\n. \r\n").done);
}

TEST(SmtpData, DotUnstuffing) {
  auto o = run("..leading\r\n...\r\n.x\r\nmid.dle\r\n..\r\n.\r\n");
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.body, ".leading\r\n..\r\nx\r\nmid.dle\r\n.\r\n");
  EXPECT_EQ(o.fault, DataFault::none);
}

TEST(SmtpData, SmugglingVariantsNeverEndData) {
  const char* fakes[] = {"\n.\n", "\r.\r", "\r.\n", "\n.\r", "\r\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\r"};
  for (const char* fake : fakes) {
    for (bool bytewise : {false, true}) {
      std::string in = std::string("a") + fake + "MAIL FROM:<evil@x>\r\nb\r\n.\r\nNEXT";
      auto o = run(in, 1000, 1 << 20, bytewise);
      SCOPED_TRACE(testing::PrintToString(std::string(fake)));
      EXPECT_TRUE(o.done);
      EXPECT_EQ(o.fault, DataFault::bare_cr_lf);
      EXPECT_EQ(in.substr(o.consumed), "NEXT");
    }
  }
}

TEST(SmtpData, NulRejected) {
  auto o = run(securemail::test::octets("a\0b\r\n.\r\n"));
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.fault, DataFault::nul);
  auto p = run(securemail::test::octets("a\r\n.\0\r\n.\r\n"));
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.fault, DataFault::nul);
  auto q = run(securemail::test::octets("a\r\n\0.\r\n.\r\n"));
  EXPECT_TRUE(q.done);
  EXPECT_EQ(q.consumed, 10u);
}

TEST(SmtpData, LineLimitCountsCrlfAndStuffedDot) {
  std::string line998(998, 'x');
  EXPECT_EQ(run(line998 + "\r\n.\r\n").fault, DataFault::none);
  EXPECT_EQ(run(line998 + "y\r\n.\r\n").fault, DataFault::line_too_long);
  EXPECT_EQ(run("." + std::string(997, 'x') + "\r\n.\r\n").fault, DataFault::none);
  EXPECT_EQ(run("." + std::string(998, 'x') + "\r\n.\r\n").fault, DataFault::line_too_long);
  EXPECT_EQ(run(line998 + "y\r\n.\r\n", 1000, 1 << 20, true).fault, DataFault::line_too_long);
}

TEST(SmtpData, SizeLimitAfterUnstuffing) {
  std::string body = "0123456\r\n";  // 9 octets
  EXPECT_EQ(run(body + ".\r\n", 1000, 9).fault, DataFault::none);
  EXPECT_EQ(run(body + ".\r\n", 1000, 8).fault, DataFault::too_big);
  EXPECT_EQ(run(".." + body + ".\r\n", 1000, 10).fault, DataFault::none);  // stuffed dot not counted
  auto o = run(body + ".\r\n", 1000, 8);
  EXPECT_TRUE(o.done);
  EXPECT_LE(o.body.size(), 8u);
}

TEST(SmtpData, BareCrOutranksSize) {
  // Bare CR/LF is reported even when seen after the size limit was passed.
  EXPECT_EQ(run(std::string(20, 'x') + "\n\r\n.\r\n", 1000, 5).fault, DataFault::bare_cr_lf);
  EXPECT_EQ(run(std::string(20, 'x') + "\r\n.\r\n", 1000, 5).fault, DataFault::too_big);
  EXPECT_EQ(run("x\ny" + std::string(20, 'x') + "\r\n.\r\n", 1000, 5).fault, DataFault::bare_cr_lf);
}

TEST(SmtpInput, ScanLine) {
  EXPECT_EQ(scan_line("NOOP\r\nQUIT\r\n", 1000).line, "NOOP");
  EXPECT_EQ(scan_line("NOOP\r\nQUIT\r\n", 1000).consumed, 6u);
  EXPECT_EQ(scan_line("NOOP\r", 1000).status, LineStatus::need_more);
  EXPECT_EQ(scan_line("NOOP\n", 1000).status, LineStatus::bad_ending);
  EXPECT_EQ(scan_line("NO\rOP\r\n", 1000).status, LineStatus::bad_ending);
  EXPECT_EQ(scan_line(std::string(8, 'x') + "\r\n", 10).status, LineStatus::ok);
  EXPECT_EQ(scan_line(std::string(9, 'x') + "\r\n", 10).status, LineStatus::too_long);
  EXPECT_EQ(scan_line(std::string(9, 'x'), 10).status, LineStatus::need_more);
  EXPECT_EQ(scan_line(std::string(10, 'x'), 10).status, LineStatus::too_long);
}
