// waiting.cpp - messages waiting for delivery by lane, and their gauges
// (see waiting.h).
#include "queue/waiting.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>

#include "util/metrics.h"

namespace sm::queue {
namespace {

metrics::Counter queue_size("securemail_queue_messages", "Messages in the active queue being tracked", true);
metrics::Counter queue_priority("securemail_queue_priority_messages",
                                "Messages of the priority lane (verified member mail) being tracked", true);
metrics::Counter queue_normal("securemail_queue_normal_messages", "Messages of the normal lane being tracked", true);

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Age is computed when /metrics is read, from the oldest arrival time last
// published: a stuck message ages on the gauge with nothing else happening.
class OldestGauge : public metrics::Metric {
 public:
  OldestGauge()
      : Metric("securemail_queue_oldest_seconds",
               "Age in seconds of the oldest message waiting for delivery in the lane (0: none waiting)", true) {}
  void set(std::size_t lane, std::int64_t arrival) { arrival_[lane].store(arrival, std::memory_order_relaxed); }
  std::int64_t age(std::size_t lane, std::int64_t now) const {
    std::int64_t a = arrival_[lane].load(std::memory_order_relaxed);
    return a == kNone ? 0 : std::max<std::int64_t>(0, now - a);
  }
  void render_samples(std::string& out) const override {
    std::int64_t now = now_unix();
    for (auto lane : {mail::Lane::normal, mail::Lane::priority})
      out += name() + "{lane=\"" + std::string(mail::to_string(lane)) + "\"} " +
             std::to_string(age(lane == mail::Lane::priority ? 1 : 0, now)) + "\n";
  }
  static constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();

 private:
  std::atomic<std::int64_t> arrival_[2] = {kNone, kNone};
};

OldestGauge oldest_gauge;

}  // namespace

WaitingMessages::~WaitingMessages() {
  by_id_.clear();
  arrivals_[0].clear();
  arrivals_[1].clear();
  publish();
}

void WaitingMessages::add(const std::string& id, mail::Lane lane, std::int64_t arrival) {
  auto [it, added] = by_id_.try_emplace(id, lane, arrival);
  if (!added) {
    auto& set = arrivals_[index(it->second.first)];
    set.erase(set.find(it->second.second));
    it->second = {lane, arrival};
  }
  arrivals_[index(lane)].insert(arrival);
  publish();
}

void WaitingMessages::remove(const std::string& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto& set = arrivals_[index(it->second.first)];
  set.erase(set.find(it->second.second));
  by_id_.erase(it);
  publish();
}

std::optional<std::int64_t> WaitingMessages::oldest_arrival(mail::Lane lane) const {
  const auto& set = arrivals_[index(lane)];
  if (set.empty()) return std::nullopt;
  return *set.begin();
}

void WaitingMessages::publish() const {
  for (auto lane : {mail::Lane::normal, mail::Lane::priority})
    oldest_gauge.set(index(lane), oldest_arrival(lane).value_or(OldestGauge::kNone));
  queue_normal.set(static_cast<std::int64_t>(count(mail::Lane::normal)));
  queue_priority.set(static_cast<std::int64_t>(count(mail::Lane::priority)));
  queue_size.set(static_cast<std::int64_t>(by_id_.size()));
}

std::int64_t oldest_waiting_seconds(mail::Lane lane, std::int64_t now) {
  return oldest_gauge.age(lane == mail::Lane::priority ? 1 : 0, now);
}

}  // namespace sm::queue
