// metrics.cpp - registry of counters and the Prometheus text rendering.
#include "util/metrics.h"

#include <mutex>
#include <vector>

namespace sm::metrics {
namespace {
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::vector<const Counter*>& registry() {
  static std::vector<const Counter*> r;
  return r;
}
}  // namespace

Counter::Counter(std::string name, std::string help, bool gauge)
    : name_(std::move(name)), help_(std::move(help)), gauge_(gauge) {
  std::lock_guard lock(registry_mutex());
  registry().push_back(this);
}

std::string render() {
  std::lock_guard lock(registry_mutex());
  std::string out;
  for (const Counter* c : registry()) {
    out += "# HELP " + c->name() + " " + c->help() + "\n";
    out += "# TYPE " + c->name() + (c->gauge() ? " gauge\n" : " counter\n");
    out += c->name() + " " + std::to_string(c->value()) + "\n";
  }
  return out;
}

}  // namespace sm::metrics
