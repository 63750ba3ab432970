// log_syslog.h - the operational log to a local syslog socket ([log]
// syslog = "/dev/log"), as Postfix logs: one datagram per line,
// "<PRI>Mmm dd hh:mm:ss securemail[PID]: message" (RFC 3164 as the local
// socket takes it; rsyslog and journald's /dev/log both read it).
//
// Our own sink rather than libc syslog(): the socket is a path the
// operator names (and a test can bind), and a line is never allowed to
// block mail: the socket is non-blocking and a line the daemon cannot take
// now is dropped and counted, the connection retried at the next line.
#pragma once

#include <optional>
#include <string_view>

#include <spdlog/sinks/sink.h>

#include "util/error.h"

namespace sm::log {

// The facility's code (RFC 5424 6.2.1) for "mail", "daemon", "user",
// "local0".."local7"; nullopt for any other name.
std::optional<int> syslog_facility(std::string_view name);

// A sink writing to the datagram socket at path with that facility. The
// socket need not exist yet (lines are dropped until it does).
spdlog::sink_ptr syslog_sink(std::string path, int facility);

// Lines dropped so far (the socket absent or full).
std::uint64_t syslog_dropped();

}  // namespace sm::log
