// metrics.h - process-wide counters and gauges for GET /metrics.
//
// Metrics are registered by name once (static storage) and bumped from any
// thread: a Counter with a relaxed atomic add, a LabeledCounter (one series
// per value of a single label, e.g. result="ok") under a small mutex.
// render() writes the Prometheus text exposition format. Names follow
// Prometheus conventions: securemail_<what>_total for counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace sm::metrics {

// Something render() writes: registers itself on construction.
class Metric {
 public:
  Metric(std::string name, std::string help, bool gauge);
  virtual ~Metric() = default;
  Metric(const Metric&) = delete;
  Metric& operator=(const Metric&) = delete;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  bool gauge() const { return gauge_; }
  // Appends the sample line(s), without HELP and TYPE.
  virtual void render_samples(std::string& out) const = 0;

 private:
  std::string name_, help_;
  bool gauge_;
};

class Counter : public Metric {
 public:
  Counter(std::string name, std::string help, bool gauge = false) : Metric(std::move(name), std::move(help), gauge) {}
  void add(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t n) { value_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }
  void render_samples(std::string& out) const override;

 private:
  std::atomic<std::int64_t> value_{0};
};

// A counter family with one label: name{label="value"} N. The values
// given at construction are shown (as 0) before they first occur.
class LabeledCounter : public Metric {
 public:
  LabeledCounter(std::string name, std::string help, std::string label,
                 std::initializer_list<std::string_view> initial = {});
  void add(std::string_view value, std::int64_t n = 1);
  std::int64_t value(std::string_view value) const;
  void render_samples(std::string& out) const override;

 private:
  std::string label_;
  mutable std::mutex mu_;
  std::map<std::string, std::int64_t, std::less<>> values_;
};

// Prometheus text format of every registered metric.
std::string render();

}  // namespace sm::metrics
