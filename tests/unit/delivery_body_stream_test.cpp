// delivery_body_stream_test.cpp - dot-stuffing, CRLF->LF and the chunked
// body reader, including chunk boundaries in awkward places.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "delivery/body_stream.h"

using namespace sm::delivery;

static std::string stuff(const std::string& in, std::size_t chunk) {
  DotStuffer s;
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += chunk) s.feed(std::string_view(in).substr(i, chunk), out);
  s.finish(out);
  return out;
}

TEST(DotStuffer, StuffsLeadingDotsAcrossChunks) {
  std::string in = ".a\r\nb\r\n..c\r\n.\r\nend\r\n";
  std::string want = "..a\r\nb\r\n...c\r\n..\r\nend\r\n.\r\n";
  for (std::size_t chunk : {1u, 2u, 3u, 5u, 100u}) EXPECT_EQ(stuff(in, chunk), want) << chunk;
}

TEST(DotStuffer, AddsFinalCrlfAndFixesBareLineEnds) {
  EXPECT_EQ(stuff("no newline", 4), "no newline\r\n.\r\n");
  EXPECT_EQ(stuff("", 4), ".\r\n");
  EXPECT_EQ(stuff("a\nb\rc\r", 1), "a\r\nb\r\nc\r\n.\r\n");
  EXPECT_EQ(stuff("x\n.\n", 1), "x\r\n..\r\n.\r\n");
}

TEST(LfConverter, CrlfToLf) {
  for (std::size_t chunk : {1u, 2u, 7u}) {
    LfConverter c;
    std::string in = "a\r\nb\rc\r\n", out;
    for (std::size_t i = 0; i < in.size(); i += chunk) c.feed(std::string_view(in).substr(i, chunk), out);
    c.finish(out);
    EXPECT_EQ(out, "a\nb\rc\n");
    EXPECT_TRUE(c.ends_with_newline());
  }
}

TEST(BodyReader, ReadsRangeAndDetectsShortFile) {
  auto p = std::filesystem::temp_directory_path() / ("sm_body_" + std::to_string(::getpid()));
  { std::ofstream(p) << "HEADERbody-octets"; }
  BodyReader r;
  ASSERT_TRUE(r.open(StoredMessage{p, 6, 4}));
  std::string chunk, all;
  while (true) {
    ASSERT_TRUE(r.read(chunk, 3));
    if (chunk.empty()) break;
    all += chunk;
  }
  EXPECT_EQ(all, "body");
  BodyReader bad;
  auto e = bad.open(StoredMessage{p, 6, 1000});
  ASSERT_FALSE(e);
  EXPECT_TRUE(e.error().temporary());
  EXPECT_FALSE(BodyReader().open(StoredMessage{"/nonexistent/x", 0, 1}));
  std::filesystem::remove(p);
}

// A queue segment holds other records after a message: the reader stops at
// body_offset+size, even when asked for more.
TEST(BodyReader, NeverReadsPastTheMessageInItsSegment) {
  auto p = std::filesystem::temp_directory_path() / ("sm_seg_" + std::to_string(::getpid()));
  { std::ofstream(p) << "HDRmessage\r\nNEXT-RECORD-OCTETS"; }
  BodyReader r;
  ASSERT_TRUE(r.open(StoredMessage{p, 3, 9}));
  std::string chunk;
  ASSERT_TRUE(r.read(chunk, 1 << 20));
  EXPECT_EQ(chunk, "message\r\n");
  ASSERT_TRUE(r.read(chunk, 1 << 20));
  EXPECT_TRUE(chunk.empty());
  std::filesystem::remove(p);
}

// A message just received is delivered from memory: the file is not opened.
TEST(BodyReader, ReadsOctetsFromMemoryWhenPresent) {
  auto octets = std::make_shared<const std::string>("Subject: x\r\n\r\nbody\r\n");
  BodyReader r;
  ASSERT_TRUE(r.open(StoredMessage{"/nonexistent/segment", 123, octets->size(), octets}));
  std::string chunk, all;
  while (true) {
    ASSERT_TRUE(r.read(chunk, 5));
    if (chunk.empty()) break;
    all += chunk;
  }
  EXPECT_EQ(all, *octets);
  BodyReader wrong;
  EXPECT_FALSE(wrong.open(StoredMessage{"/nonexistent/segment", 0, octets->size() + 1, octets}))
      << "octets in memory that are not the recorded size are refused";
}
