// metrics.cpp - registry of metrics and the Prometheus text rendering.
#include "util/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace sm::metrics {
namespace {
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::vector<const Metric*>& registry() {
  static std::vector<const Metric*> r;
  return r;
}

// Label values are escaped as the exposition format asks (\\, \", \n).
std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

Metric::Metric(std::string name, std::string help, bool gauge)
    : name_(std::move(name)), help_(std::move(help)), gauge_(gauge) {
  std::lock_guard lock(registry_mutex());
  registry().push_back(this);
}

Metric::~Metric() {
  std::lock_guard lock(registry_mutex());
  std::erase(registry(), this);
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

Histogram::Histogram(std::string name, std::string help, std::vector<double> bounds)
    : Metric(std::move(name), std::move(help), false), bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) {
  std::size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();  // le: value <= bound
  std::lock_guard lock(mu_);
  ++counts_[i];
  sum_ += value;
  ++count_;
}

std::uint64_t Histogram::count() const {
  std::lock_guard lock(mu_);
  return count_;
}

double Histogram::sum() const {
  std::lock_guard lock(mu_);
  return sum_;
}

void Histogram::render_samples(std::string& out) const {
  std::lock_guard lock(mu_);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += name() + "_bucket{le=\"" + format_value(bounds_[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name() + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  out += name() + "_sum " + format_value(sum_) + "\n";
  out += name() + "_count " + std::to_string(count_) + "\n";
}

Computed::Computed(std::string name, std::string help, std::function<std::vector<Sample>()> samples, bool gauge)
    : Metric(std::move(name), std::move(help), gauge), samples_(std::move(samples)) {}

void Computed::render_samples(std::string& out) const {
  for (const Sample& s : samples_()) {
    out += name();
    if (!s.labels.empty()) {
      out += "{";
      for (std::size_t i = 0; i < s.labels.size(); ++i)
        out += (i ? "," : "") + s.labels[i].first + "=\"" + escape_label(s.labels[i].second) + "\"";
      out += "}";
    }
    out += " " + format_value(s.value) + "\n";
  }
}

void Counter::render_samples(std::string& out) const {
  out += name() + " " + std::to_string(value()) + "\n";
}

LabeledCounter::LabeledCounter(std::string name, std::string help, std::string label,
                               std::initializer_list<std::string_view> initial)
    : Metric(std::move(name), std::move(help), false), label_(std::move(label)) {
  for (auto v : initial) values_.emplace(std::string(v), 0);
}

void LabeledCounter::add(std::string_view value, std::int64_t n) {
  std::lock_guard lock(mu_);
  auto it = values_.find(value);
  if (it == values_.end()) it = values_.emplace(std::string(value), 0).first;
  it->second += n;
}

std::int64_t LabeledCounter::value(std::string_view value) const {
  std::lock_guard lock(mu_);
  auto it = values_.find(value);
  return it == values_.end() ? 0 : it->second;
}

void LabeledCounter::render_samples(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto& [v, n] : values_)
    out += name() + "{" + label_ + "=\"" + escape_label(v) + "\"} " + std::to_string(n) + "\n";
}

CounterFamily::CounterFamily(std::string name, std::string help, std::vector<std::string> labels,
                             std::vector<std::vector<std::string>> initial_values)
    : Metric(std::move(name), std::move(help), false), labels_(std::move(labels)) {
  // Every combination of the initial values, label by label.
  std::vector<std::vector<std::string>> combos{{}};
  for (const auto& choices : initial_values) {
    std::vector<std::vector<std::string>> next;
    for (const auto& prefix : combos)
      for (const auto& v : choices) {
        next.push_back(prefix);
        next.back().push_back(v);
      }
    combos = std::move(next);
  }
  if (initial_values.size() == labels_.size())
    for (auto& c : combos) values_.emplace(std::move(c), 0);
}

void CounterFamily::add(const std::vector<std::string>& values, std::int64_t n) {
  if (values.size() != labels_.size()) return;  // a caller's mistake never reaches the exposition
  std::lock_guard lock(mu_);
  values_[values] += n;
}

std::int64_t CounterFamily::value(const std::vector<std::string>& values) const {
  std::lock_guard lock(mu_);
  auto it = values_.find(values);
  return it == values_.end() ? 0 : it->second;
}

void CounterFamily::render_samples(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, n] : values_) {
    out += name() + "{";
    for (std::size_t i = 0; i < labels_.size(); ++i)
      out += (i ? "," : "") + labels_[i] + "=\"" + escape_label(values[i]) + "\"";
    out += "} " + std::to_string(n) + "\n";
  }
}

std::string render() {
  std::lock_guard lock(registry_mutex());
  std::string out;
  for (const Metric* m : registry()) {
    out += "# HELP " + m->name() + " " + m->help() + "\n";
    out += "# TYPE " + m->name() + " " + m->type() + "\n";
    m->render_samples(out);
  }
  return out;
}

}  // namespace sm::metrics
