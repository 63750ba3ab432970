// smime_parts_test.cpp - the engine's small parts on their own: message
// sources, CRLF canonicalisation and the CRLF filter BIO, the copied outer
// header, the From: reader, header protection, and verdict names.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "mime/header.h"
#include "smime/bio_chain.h"
#include "smime/crlf_bio.h"
#include "smime/engine.h"
#include "smime/header_protection.h"
#include "smime/mailbox.h"
#include "smime/outer_header.h"

using namespace sm;
using namespace sm::smime;
using namespace sm::smime::detail;
namespace fs = std::filesystem;

namespace {

std::string mem_string(BIO* b) { return std::string(mem_view(b)); }

TEST(Canonicalize, BareLineFeedsBecomeCrlfAndCrlfStays) {
  EXPECT_EQ(canonicalize_crlf("a\nb\r\nc\n\n"), "a\r\nb\r\nc\r\n\r\n");
  EXPECT_EQ(canonicalize_crlf("no end"), "no end");
  EXPECT_EQ(canonicalize_crlf("lone\rcr\n"), "lone\rcr\r\n");
}

TEST(CrlfFilter, WriteConvertsAcrossWriteBoundaries) {
  ossl::BioPtr mem(BIO_new(BIO_s_mem()));
  FilterStack stack(mem.get());
  ASSERT_TRUE(stack.push(new_crlf_filter()));
  for (std::string_view piece : {"line one\n", "two\r", "\nthree\n\n", "\r", "\n"})
    ASSERT_EQ(BIO_write(stack.top(), piece.data(), static_cast<int>(piece.size())), static_cast<int>(piece.size()));
  BIO_puts(stack.top(), "puts\n");
  EXPECT_EQ(mem_string(mem.get()), "line one\r\ntwo\r\nthree\r\n\r\n\r\nputs\r\n");
}

TEST(CrlfFilter, ReadConvertsWhatComesFromBelow) {
  std::string text = "a\nb\r\n" + std::string(40000, 'x') + "\n\nend";
  ossl::BioPtr filter = new_crlf_filter();
  BIO_push(filter.get(), BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  std::string out;
  char buf[777];  // odd size: conversions straddle reads
  int n;
  while ((n = BIO_read(filter.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  EXPECT_TRUE(out == canonicalize_crlf(text));
}

TEST(CrlfFilter, StopModeKeepsFlushFromTheBioBelow) {
  // A base64 BIO below: a flush reaching it would end the base64 stream.
  ossl::BioPtr mem(BIO_new(BIO_s_mem()));
  FilterStack stack(mem.get());
  ASSERT_TRUE(stack.push(ossl::BioPtr(BIO_new(BIO_f_base64()))));
  ASSERT_TRUE(stack.push(new_crlf_filter(FlushMode::stop)));
  BIO_write(stack.top(), "ab", 2);
  EXPECT_EQ(BIO_flush(stack.top()), 1);
  EXPECT_EQ(mem_string(mem.get()), "");  // base64 still holds the partial group
  stack.release();
  EXPECT_EQ(stack.top(), mem.get());  // the base BIO is never freed by the stack
}

TEST(MessageSource, FileAtOffsetReadsHeadSizeAndStream) {
  fs::path file = fs::temp_directory_path() / ("smime-source-" + std::to_string(::getpid()));
  {
    std::ofstream out(file, std::ios::binary);
    out << "ENVELOPE\n" << "Subject: hi\r\n\r\nbody\r\n";
  }
  auto src = MessageSource::file(file, 9);
  EXPECT_EQ(src.size().value(), 21u);
  EXPECT_EQ(src.head(7).value(), "Subject");
  auto bio = src.open();
  ASSERT_TRUE(bio.has_value());
  auto all = read_all(bio->get(), 1000);
  EXPECT_EQ(all.value(), "Subject: hi\r\n\r\nbody\r\n");
  fs::remove(file);
  EXPECT_FALSE(MessageSource::file(file).open().has_value());
  EXPECT_FALSE(MessageSource::file(file).size().has_value());
}

TEST(MessageSource, MemoryIsSharedBetweenCopiesAndSurvivesAMove) {
  auto a = MessageSource::memory(std::string(100, 'm'));
  auto bio = a.open();
  MessageSource b = std::move(a);
  EXPECT_EQ(read_all(bio->get(), 1000).value(), std::string(100, 'm'));
  EXPECT_EQ(b.size().value(), 100u);
  EXPECT_EQ(b.head(1000).value().size(), 100u);
}

TEST(OuterHeader, CopiesOnlyTheRoutingFieldsWithCrlf) {
  std::string msg =
      "Received: by x\nFrom: a@a.example\nTo: b@b.example,\n c@c.example\nCc: d@d.example\nX-Secret: 1\n"
      "Subject: s\nDate: d\nMessage-ID: <m@a>\nReply-To: r@a.example\nIn-Reply-To: <i@a>\nReferences: <i@a>\n"
      "Content-Type: text/plain\n\nbody\n";
  auto h = copied_header_fields(MessageSource::memory(msg));
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(*h,
            "From: a@a.example\r\nTo: b@b.example,\r\n c@c.example\r\nCc: d@d.example\r\nSubject: s\r\nDate: d\r\n"
            "Message-ID: <m@a>\r\nReply-To: r@a.example\r\nIn-Reply-To: <i@a>\r\nReferences: <i@a>\r\n");
  EXPECT_EQ(copied_header_fields(MessageSource::memory("Subject: only header, no end")).value(),
            "Subject: only header, no end\r\n");
}

TEST(OuterHeader, RefusesAnOversizedHeader) {
  std::string huge = "X-Big: " + std::string(mime::HeaderBlock::kDefaultMaxSize, 'x') + "\r\n\r\nbody";
  auto h = copied_header_fields(MessageSource::memory(huge));
  ASSERT_FALSE(h.has_value());
  EXPECT_EQ(h.error().code, 552);
}

TEST(Mailbox, ReadsTheUsualForms) {
  using V = std::vector<std::string>;
  EXPECT_EQ(parse_mailbox_list("alice@a.example").value(), V{"alice@a.example"});
  EXPECT_EQ(parse_mailbox_list("Alice Example <alice@a.example>").value(), V{"alice@a.example"});
  EXPECT_EQ(parse_mailbox_list("\"Example, Alice\" <alice@a.example> (work)").value(), V{"alice@a.example"});
  EXPECT_EQ(parse_mailbox_list("alice@a.example (Alice)").value(), V{"alice@a.example"});
  EXPECT_EQ(parse_mailbox_list("=?utf-8?q?Al=C3=AFce?= <alice@a.example>").value(), V{"alice@a.example"});
  EXPECT_EQ(parse_mailbox_list("\"odd local\"@a.example").value(), V{"\"odd local\"@a.example"});
  EXPECT_EQ(parse_mailbox_list("a@a.example, b@b.example").value(), (V{"a@a.example", "b@b.example"}));
  EXPECT_EQ(parse_mailbox_list("\"a@x.example, b\" <a@a.example>").value(), V{"a@a.example"});
  EXPECT_TRUE(parse_mailbox_list("  ").value().empty());
}

TEST(Mailbox, RefusesWhatCouldBeReadTwoWays) {
  for (const char* bad : {"undisclosed-recipients:;", "Team: a@a.example, b@b.example;", "<@route.example:a@a.example>",
                          "a@a.example,", "<a@a.example", "a@a.example>", "Alice <a@a.example> <b@b.example>",
                          "Alice <a@a.example> trailing", "alice", "alice@", "@a.example", "a..b@a.example",
                          "a@-bad.example", "a@[192.0.2.1]", "\"unterminated@a.example", "(open comment a@a.example",
                          "a b@a.example"})
    EXPECT_FALSE(parse_mailbox_list(bad).has_value()) << bad;
}

TEST(HeaderProtection, ComparesUnfoldedWhitespaceNormalisedValues) {
  auto signed_h = mime::HeaderBlock::parse("From: a@a.example\r\nTo: b@b.example\r\nSubject: Hello  world\r\n\r\n");
  auto same = mime::HeaderBlock::parse("From: a@a.example\r\nTo:  b@b.example\r\nSubject: Hello\r\n\tworld\r\n\r\n");
  auto changed = mime::HeaderBlock::parse("From: a@a.example\r\nSubject: Hello world!\r\nDate: now\r\n\r\n");
  EXPECT_TRUE(mismatched_headers(*signed_h, *same).empty());
  EXPECT_EQ(mismatched_headers(*signed_h, *changed), (std::vector<std::string>{"To", "Subject", "Date"}));
  // Two From: fields never get this far: the header reader refuses them.
  auto twice = mime::HeaderBlock::parse("From: a@a.example\r\nFrom: a@a.example\r\nTo: b@b.example\r\n"
                                        "Subject: Hello world\r\n\r\n");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().enhanced, "5.6.0");
}

TEST(VerdictText, EveryReasonHasItsOwnKebabNameAndASentence) {
  std::set<std::string_view> names;
  for (int r = static_cast<int>(Reason::none); r <= static_cast<int>(Reason::header_mismatch); ++r) {
    auto reason = static_cast<Reason>(r);
    std::string_view name = to_string(reason);
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(name.find('_'), std::string_view::npos) << name;
    EXPECT_FALSE(describe(reason).empty());
  }
  EXPECT_EQ(to_string(Reason::none), "pass");
  EXPECT_EQ(to_string(Reason::bad_signature), "bad-signature");
  EXPECT_EQ(to_string(Reason::signer_domain_mismatch), "signer-domain-mismatch");
  EXPECT_EQ(to_string(Cipher::aes256_gcm), "aes-256-gcm");
  EXPECT_EQ(to_string(Cipher::aes256_cbc), "aes-256-cbc");
  EXPECT_FALSE(Verdict{}.verified());  // a default verdict is never a pass
}

}  // namespace
