// listen_thread.h - the thread that runs an HTTP listener's accept loop
// (the admin listener, the self-service HTTPS listener), with a stop that
// works at any moment.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

namespace sm::admin {

// cpp-httplib's stop() does nothing until the listening thread is inside
// its accept loop: a stop that came first (a reload or SIGTERM just after
// the start) left the thread blocked in accept() and join() waiting for
// ever. stop() here asks again until the loop has ended.
class ListenThread {
 public:
  ListenThread() = default;
  ListenThread(const ListenThread&) = delete;
  ListenThread& operator=(const ListenThread&) = delete;
  ~ListenThread() { stop(); }

  // `serve` runs the accept loop until `halt` ends it; `halt` may be called
  // any number of times, before the loop starts too.
  void start(std::function<void()> serve, std::function<void()> halt) {
    halt_ = std::move(halt);
    thread_ = std::thread([this, serve = std::move(serve)] {
      serve();
      done_ = true;
    });
  }
  void stop() {
    if (!thread_.joinable()) return;
    while (!done_) {
      halt_();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    thread_.join();
  }

 private:
  std::function<void()> halt_;
  std::thread thread_;
  std::atomic<bool> done_{false};
};

}  // namespace sm::admin
