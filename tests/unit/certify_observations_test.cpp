// certify_observations_test.cpp - the facility's observation log: lines
// appended and read back from an offset, a torn last line waits for its
// end, and a damaged line is skipped without stopping the reader.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "certify/observations.h"

namespace sm::certify {
namespace {

namespace fs = std::filesystem;

class CertifyObservations : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("obs-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CertifyObservations, AppendedLinesAreReadFromTheOffset) {
  auto file = observations_file(dir_);
  EXPECT_EQ(file, dir_ / "certify" / "observations.jsonl");
  EXPECT_EQ(observations_end(file), 0u);
  ASSERT_TRUE(record_observation(file, {1796083200, "tempfail@facility.example", "127.0.0.1", "m1@b.example",
                                        "451 4.3.0", "", "TLSv1.3"}));
  std::uint64_t offset = 0;
  auto first = read_observations(file, offset);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].at, 1796083200);
  EXPECT_EQ(first[0].where, "tempfail@facility.example");
  EXPECT_EQ(first[0].message_id, "m1@b.example");
  EXPECT_EQ(first[0].reply, "451 4.3.0");
  EXPECT_EQ(first[0].tls, "TLSv1.3");
  EXPECT_EQ(offset, observations_end(file));
  ASSERT_TRUE(record_observation(file, {1796083210, "strip", "127.0.0.2", "", "", "MAIL FROM:<a@b.example>", ""}));
  auto second = read_observations(file, offset);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].event, "MAIL FROM:<a@b.example>");
  EXPECT_TRUE(second[0].tls.empty());
  EXPECT_TRUE(read_observations(file, offset).empty());
}

TEST_F(CertifyObservations, ATornLineWaitsAndADamagedOneIsSkipped) {
  auto file = observations_file(dir_);
  ASSERT_TRUE(record_observation(file, {1, "delay@f.example", "", "m", "250 after 10 s", "", ""}));
  {
    std::ofstream out(file, std::ios::app);
    out << "{not json}\n{\"where\":\"strip\",\"event\":\"conn";  // a damaged line, then one still being written
  }
  std::uint64_t offset = 0;
  auto seen = read_observations(file, offset);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].where, "delay@f.example");
  {
    std::ofstream out(file, std::ios::app);
    out << "ect\",\"at\":\"2026-12-05T06:00:00Z\"}\n";
  }
  auto rest = read_observations(file, offset);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].event, "connect");
  EXPECT_EQ(rest[0].at, 1796450400);
}

TEST_F(CertifyObservations, AMissingFileIsEmptyAndAnUnwritableOneAnError) {
  std::uint64_t offset = 0;
  EXPECT_TRUE(read_observations(dir_ / "none.jsonl", offset).empty());
  fs::create_directories(dir_ / "certify" / "observations.jsonl");  // a folder where the file should be
  auto r = record_observation(observations_file(dir_), {1, "x", "", "", "", "", ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 451);
}

}  // namespace
}  // namespace sm::certify
