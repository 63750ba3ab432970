// metrics.h - process-wide counters and gauges for GET /metrics.
//
// Counters are registered by name once (static storage) and bumped with a
// relaxed atomic add from any thread; render() writes the Prometheus text
// exposition format. Names follow Prometheus conventions:
// securemail_<what>_total for counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace sm::metrics {

class Counter {
 public:
  Counter(std::string name, std::string help, bool gauge = false);
  void add(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t n) { value_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  bool gauge() const { return gauge_; }

 private:
  std::string name_, help_;
  bool gauge_;
  std::atomic<std::int64_t> value_{0};
};

// Prometheus text format of every registered counter.
std::string render();

}  // namespace sm::metrics
