// retry.h - when to try a deferred message again, and when to give up.
//
// Exponential back-off as Postfix does it (minimal_backoff_time doubling
// up to maximal_backoff_time), bounded by the queue lifetime
// (maximal_queue_lifetime) after which remaining recipients bounce.
#pragma once

#include <chrono>
#include <cstdint>

namespace sm::queue {

struct RetryPolicy {
  std::chrono::seconds min_backoff{300};
  std::chrono::seconds max_backoff{3600};
  std::chrono::seconds lifetime{5 * 86400};

  // Next attempt time after `attempts` failed attempts (1 = first failure).
  std::int64_t next_attempt(std::int64_t now, int attempts) const;
  // True when a message that arrived at `arrival` must give up at `now`.
  bool expired(std::int64_t arrival, std::int64_t now) const { return now - arrival >= lifetime.count(); }
};

}  // namespace sm::queue
