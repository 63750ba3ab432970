// sd_notify.h - the systemd service notification protocol, spoken
// directly (no libsystemd): one datagram per state change to the socket
// named by $NOTIFY_SOCKET, a path or, with a leading '@', an abstract
// socket. `securemail run` sends READY=1 once it takes mail, STATUS=
// lines, STOPPING=1 on shutdown and WATCHDOG=1 every half of
// $WATCHDOG_USEC (contrib/systemd/securemail.service, docs/operations.md).
//
// Outside systemd (no $NOTIFY_SOCKET) every call does nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"

namespace sm::sd {

// Send state ("READY=1", "STATUS=...", several lines joined by '\n') to
// the socket address `socket` ("/run/x" or "@abstract"). An error names
// the socket and why.
Result<> notify_to(std::string_view socket, std::string_view state);

// notify_to($NOTIFY_SOCKET, state); false without $NOTIFY_SOCKET (not
// under systemd), true when sent.
Result<bool> notify(std::string_view state);

// How often to send WATCHDOG=1: half of $WATCHDOG_USEC when the watchdog
// is on for this process ($WATCHDOG_PID unset or ours), else nullopt. An
// error when WATCHDOG_USEC is not a positive number of microseconds.
Result<std::optional<std::chrono::microseconds>> watchdog_interval();

}  // namespace sm::sd
