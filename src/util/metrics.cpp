// metrics.cpp - registry of metrics and the Prometheus text rendering.
#include "util/metrics.h"

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

std::string render() {
  std::lock_guard lock(registry_mutex());
  std::string out;
  for (const Metric* m : registry()) {
    out += "# HELP " + m->name() + " " + m->help() + "\n";
    out += "# TYPE " + m->name() + (m->gauge() ? " gauge\n" : " counter\n");
    m->render_samples(out);
  }
  return out;
}

}  // namespace sm::metrics
