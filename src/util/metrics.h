// metrics.h - process-wide counters and gauges for GET /metrics.
//
// Metrics are registered by name once (static storage) and bumped from any
// thread: a Counter with a relaxed atomic add, a LabeledCounter (one series
// per value of a single label, e.g. result="ok") and a CounterFamily
// (several labels) under a small mutex.
// render() writes the Prometheus text exposition format. Names follow
// Prometheus conventions: securemail_<what>_total for counters.
// A Histogram counts observations into fixed buckets (latencies); a
// Computed metric asks a function for its samples at every scrape (queue
// sizes, certificate days, alerts) and unregisters when destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <functional>
#include <utility>
#include <vector>

namespace sm::metrics {

// Something render() writes: registers itself on construction.
class Metric {
 public:
  Metric(std::string name, std::string help, bool gauge);
  virtual ~Metric();  // unregisters
  Metric(const Metric&) = delete;
  Metric& operator=(const Metric&) = delete;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  bool gauge() const { return gauge_; }
  // The exposition TYPE: "counter", "gauge" or "histogram".
  virtual const char* type() const { return gauge_ ? "gauge" : "counter"; }
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

// A counter family with several labels: name{listener="relay",lane="normal"} N.
// Every combination of the values given at construction is shown (as 0)
// before it first occurs, so rates and dashboards have a series from the
// start. Label values come from a bounded set (listener names, lanes).
class CounterFamily : public Metric {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> labels,
                std::vector<std::vector<std::string>> initial_values = {});
  void add(const std::vector<std::string>& values, std::int64_t n = 1);
  std::int64_t value(const std::vector<std::string>& values) const;
  void render_samples(std::string& out) const override;

 private:
  std::vector<std::string> labels_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::int64_t> values_;
};

// Buckets of a Histogram: upper bounds, ascending (+Inf is implied).
class Histogram : public Metric {
 public:
  Histogram(std::string name, std::string help, std::vector<double> bounds);
  void observe(double value);
  std::uint64_t count() const;
  double sum() const;
  const char* type() const override { return "histogram"; }
  void render_samples(std::string& out) const override;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; last: above every bound
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// One sample of a Computed metric: label pairs (in order) and a value.
struct Sample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

// A gauge (or counter) whose samples a function computes at each scrape,
// on the HTTP thread: the function must be thread-safe and cheap.
class Computed : public Metric {
 public:
  Computed(std::string name, std::string help, std::function<std::vector<Sample>()> samples, bool gauge = true);
  void render_samples(std::string& out) const override;

 private:
  std::function<std::vector<Sample>()> samples_;
};

// A number as the exposition format writes it: integers without a
// fraction, others in the shortest exact form, "+Inf", "NaN".
std::string format_value(double v);

// Prometheus text format of every registered metric.
std::string render();

}  // namespace sm::metrics
