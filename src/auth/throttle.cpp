// throttle.cpp - failed sign-ins counted per account and per client
// address within a window; past delay_after an account's failures are
// answered late (first_delay, doubling, at most max_delay), at
// account_lock the account and at client_lock the address is blocked for
// lock_time (see throttle.h). Old counts are dropped as the maps grow, so
// a flood of made-up names cannot exhaust memory.
#include "auth/throttle.h"

#include <algorithm>

namespace sm::auth {
namespace {

constexpr std::size_t kPruneAbove = 10000;


}  // namespace

Throttle::Verdict Throttle::before(std::string_view account, std::string_view client, Clock::time_point now) {
  std::lock_guard lock(mu_);
  Verdict v;
  auto blocked = [&](const std::unordered_map<std::string, Count>& map, std::string_view key) {
    auto it = map.find(std::string(key));
    return it != map.end() && it->second.locked_until > now;
  };
  v.blocked = blocked(accounts_, account) || blocked(clients_, client);
  return v;
}

Throttle::Verdict Throttle::failed(std::string_view account, std::string_view client, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto count = [&](std::unordered_map<std::string, Count>& map, std::string_view key, std::uint64_t lock_at) {
    if (map.size() > kPruneAbove)
      std::erase_if(map, [&](const auto& kv) {
        return kv.second.locked_until <= now && now - kv.second.first > limits_.window;
      });
    Count& c = map[std::string(key)];
    if (c.failures == 0 || now - c.first > limits_.window) c = Count{0, now, c.locked_until};
    ++c.failures;
    if (lock_at && c.failures >= lock_at && c.locked_until <= now) {
      c.locked_until = now + limits_.lock_time;
      c.failures = 0;  // counting starts afresh once the lock ends
      return std::pair{true, std::uint64_t{0}};
    }
    return std::pair{c.locked_until > now, c.failures};
  };
  auto [account_locked, failures] = count(accounts_, account, limits_.account_lock);
  auto [client_locked, ignored] = count(clients_, client, limits_.client_lock);
  (void)ignored;
  Verdict v;
  v.blocked = account_locked || client_locked;
  if (failures > limits_.account_delay_after) {
    auto doublings = std::min<std::uint64_t>(failures - limits_.account_delay_after - 1, 16);
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(limits_.first_delay) * (std::int64_t{1} << doublings);
    v.delay = std::min<std::chrono::milliseconds>(delay, std::chrono::duration_cast<std::chrono::milliseconds>(limits_.max_delay));
  }
  return v;
}

void Throttle::succeeded(std::string_view account) {
  std::lock_guard lock(mu_);
  accounts_.erase(std::string(account));
}

}  // namespace sm::auth
