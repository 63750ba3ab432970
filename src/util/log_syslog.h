// log_syslog.h - the syslog(3) sink behind [log] syslog = "mail" |
// "daemon" (docs/configuration.md): each log line, after the privacy
// sink (log_privacy.h), also goes to syslog with the priority of its
// level, under the ident "securemail" and the process id.
#pragma once

#include <spdlog/common.h>

namespace sm::log {

// The syslog priority (LOG_DEBUG .. LOG_CRIT) of a log level.
int syslog_priority(spdlog::level::level_enum level);

// A sink that hands each line's text to syslog(3) as facility |
// syslog_priority(level); syslog adds its own time stamp.
spdlog::sink_ptr syslog_sink(int facility);

}  // namespace sm::log
