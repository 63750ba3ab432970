// service_notify.h - what `securemail run` tells systemd (util/sd_notify.h):
// READY=1 with a STATUS= line once every listener is bound and the queue
// is open, WATCHDOG=1 from the mail event loop (so a hung loop is
// restarted), STOPPING=1 on shutdown. Nothing outside systemd.
#pragma once

#include <asio/io_context.hpp>

#include <cstddef>
#include <map>
#include <string>

namespace sm::gateway {

// READY=1 and "STATUS=listening: smtp on ..., ...; N message(s) waiting".
void notify_ready(const std::map<std::string, std::string>& bound, std::size_t waiting);

// STOPPING=1 and a STATUS= line.
void notify_stopping();

// A reload begins (reload.h): RELOADING=1 with MONOTONIC_USEC= (systemd's
// Type=notify-reload protocol) and a STATUS= line; the new image sends READY=1.
void notify_reloading();

// With the watchdog on ($WATCHDOG_USEC), WATCHDOG=1 every half of it from
// a timer on `io` until io stops. A bad $WATCHDOG_USEC is logged, not fatal.
void start_watchdog(asio::io_context& io);

}  // namespace sm::gateway
