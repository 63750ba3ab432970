// sealed_failures.cpp - per-client failure window, delay and block.
#include "gateway/sealed_failures.h"

#include <algorithm>

#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::Counter blocked_total("securemail_sealed_failure_blocks_total",
                               "Clients refused for a while after repeated sealed-message failures");

}  // namespace

std::chrono::milliseconds SealedFailures::failed(const std::string& client, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (clients_.size() >= kMaxClients && !clients_.count(client)) forget_oldest();
  Client& c = clients_[client];
  c.last = now;
  while (!c.failures.empty() && now - c.failures.front() > settings_.window) c.failures.pop_front();
  auto previous = c.failures.size();
  c.failures.push_back(now);
  if (c.failures.size() >= settings_.limit && c.blocked_until <= now) {
    c.blocked_until = now + settings_.block;
    blocked_total.add();
  }
  auto delay = settings_.delay;
  for (std::size_t i = 0; i < previous && delay < kMaxDelay; ++i) delay *= 2;
  return std::min(delay, kMaxDelay);
}

std::optional<Error> SealedFailures::blocked(const std::string& client, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = clients_.find(client);
  if (it == clients_.end() || it->second.blocked_until <= now) return std::nullopt;
  auto left = std::chrono::duration_cast<std::chrono::seconds>(it->second.blocked_until - now).count() + 1;
  return Error{450, "4.7.1",
               "too many sealed messages from you failed to open and verify; try again in " + std::to_string(left) + " s"};
}

void SealedFailures::forget_oldest() {
  auto oldest = std::min_element(clients_.begin(), clients_.end(), [](const auto& a, const auto& b) {
    return std::max(a.second.last, a.second.blocked_until) < std::max(b.second.last, b.second.blocked_until);
  });
  if (oldest != clients_.end()) clients_.erase(oldest);
}

}  // namespace sm::gateway
