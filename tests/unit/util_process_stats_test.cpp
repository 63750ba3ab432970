// util_process_stats_test.cpp - read_process_stats() against what this
// test process knows about itself: a file it opens shows in open_fds, the
// start time is recent, CPU time grows with work.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <ctime>

#include "util/process_stats.h"

namespace sm {
namespace {

TEST(ProcessStats, ReflectsThisProcess) {
  ProcessStats before = read_process_stats();
  ASSERT_GT(before.open_fds, 0);
  EXPECT_GE(before.max_fds, before.open_fds);
  EXPECT_GT(before.resident_bytes, 100'000);
  double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(before.start_time, now + 1);
  EXPECT_GT(before.start_time, now - 3600);  // a test binary started moments ago

  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(read_process_stats().open_fds, before.open_fds + 1);
  ::close(fd);

  volatile double spin = 0;
  for (long i = 0; i < 300'000'000 && read_process_stats().cpu_seconds <= before.cpu_seconds + 0.05; ++i)
    for (int j = 0; j < 100000; ++j) spin = spin + j;
  EXPECT_GT(read_process_stats().cpu_seconds, before.cpu_seconds);
}

}  // namespace
}  // namespace sm
