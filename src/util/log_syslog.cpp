// log_syslog.cpp - see log_syslog.h.
#include "util/log_syslog.h"

#include <spdlog/sinks/base_sink.h>
#include <syslog.h>

#include <mutex>

namespace sm::log {
namespace {

class SyslogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit SyslogSink(int facility) : facility_(facility) { ::openlog("securemail", LOG_PID | LOG_NDELAY, facility); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    ::syslog(facility_ | syslog_priority(msg.level), "%.*s", static_cast<int>(msg.payload.size()), msg.payload.data());
  }
  void flush_() override {}

 private:
  int facility_;
};

}  // namespace

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return LOG_DEBUG;
    case spdlog::level::info: return LOG_INFO;
    case spdlog::level::warn: return LOG_WARNING;
    case spdlog::level::err: return LOG_ERR;
    case spdlog::level::critical: return LOG_CRIT;
    default: return LOG_NOTICE;
  }
}

spdlog::sink_ptr syslog_sink(int facility) { return std::make_shared<SyslogSink>(facility); }

}  // namespace sm::log
