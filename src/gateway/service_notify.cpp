// service_notify.cpp - see service_notify.h.
#include "gateway/service_notify.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <ctime>

#include "util/log.h"
#include "util/sd_notify.h"

namespace sm::gateway {
namespace {

void send(std::string_view state) {
  if (auto sent = sd::notify(state); !sent) log::warn("systemd notification: {}", sent.error().text);
}

// WATCHDOG=1 now and every `every` while the loop runs.
asio::awaitable<void> watchdog_pings(std::chrono::microseconds every) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    send("WATCHDOG=1");
    timer.expires_after(every);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

}  // namespace

void notify_ready(const std::map<std::string, std::string>& bound, std::size_t waiting) {
  std::string status = "STATUS=listening:";
  for (const auto& [name, at] : bound) status += " " + name + " on " + at + ",";
  status.back() = ';';
  send("READY=1\n" + status + " " + std::to_string(waiting) + " message(s) waiting");
}

void notify_stopping() { send("STOPPING=1\nSTATUS=stopping: accepted mail stays queued"); }

void notify_reloading() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  auto usec = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) +
       "\nSTATUS=reloading: finishing open sessions, then restarting in place");
}

void start_watchdog(asio::io_context& io) {
  auto interval = sd::watchdog_interval();
  if (!interval) {
    log::warn("systemd watchdog off: {}", interval.error().text);
    return;
  }
  if (!*interval) return;
  log::info("systemd watchdog: WATCHDOG=1 every {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(**interval).count());
  asio::co_spawn(io, watchdog_pings(**interval), asio::detached);
}

}  // namespace sm::gateway
