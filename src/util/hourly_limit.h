// hourly_limit.h - at most N events per key in each clock hour (UTC unix
// seconds / 3600): how many pongs the test agent sends one member, how
// many answers the facility's echo@ and ping@ give one member. Keys are
// member ids, so the map stays as small as the directory. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace sm {

class HourlyLimit {
 public:
  // Count one event for `key` at `now` and say whether it is within
  // `limit` for that hour; an event over the limit is not counted.
  bool allow(const std::string& key, std::int64_t now, std::uint64_t limit) {
    std::lock_guard lock(mu_);
    auto& [hour, seen] = counts_[key];
    if (hour != now / 3600) hour = now / 3600, seen = 0;
    if (seen >= limit) return false;
    ++seen;
    return true;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::pair<std::int64_t, std::uint64_t>> counts_;  // key -> (hour, events in it)
};

}  // namespace sm
