// util_log_syslog_test.cpp - [log] syslog: each log level's syslog
// priority, and the logger taking a syslog facility.
#include <gtest/gtest.h>
#include <spdlog/sinks/dist_sink.h>
#include <syslog.h>

#include "util/log.h"
#include "util/log_privacy.h"
#include "util/log_syslog.h"

namespace sm::log {
namespace {

TEST(LogSyslog, PriorityOfEachLevel) {
  EXPECT_EQ(syslog_priority(spdlog::level::trace), LOG_DEBUG);
  EXPECT_EQ(syslog_priority(spdlog::level::debug), LOG_DEBUG);
  EXPECT_EQ(syslog_priority(spdlog::level::info), LOG_INFO);
  EXPECT_EQ(syslog_priority(spdlog::level::warn), LOG_WARNING);
  EXPECT_EQ(syslog_priority(spdlog::level::err), LOG_ERR);
  EXPECT_EQ(syslog_priority(spdlog::level::critical), LOG_CRIT);
}

TEST(LogSyslog, LoggerTakesTheSyslogSink) {
  Privacy privacy;
  privacy.syslog_facility = LOG_DAEMON;
  ASSERT_TRUE(setup("info", privacy));
  // stderr, then syslog: the line reaches both without throwing (no syslogd
  // is needed; syslog(3) drops lines it cannot deliver).
  auto top = std::dynamic_pointer_cast<spdlog::sinks::dist_sink_mt>(spdlog::default_logger()->sinks().at(0));
  ASSERT_TRUE(top);
  EXPECT_EQ(top->sinks().size(), 2u);
  info("log syslog test line");
  setup("info");
  top = std::dynamic_pointer_cast<spdlog::sinks::dist_sink_mt>(spdlog::default_logger()->sinks().at(0));
  ASSERT_TRUE(top);
  EXPECT_EQ(top->sinks().size(), 1u);  // off again: stderr only
}

}  // namespace
}  // namespace sm::log
