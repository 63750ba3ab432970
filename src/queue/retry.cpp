// retry.cpp - exponential back-off bounded by min/max and the lifetime.
#include "queue/retry.h"

#include <algorithm>

namespace sm::queue {

std::int64_t RetryPolicy::next_attempt(std::int64_t now, int attempts) const {
  std::int64_t delay = min_backoff.count();
  for (int i = 1; i < attempts && delay < max_backoff.count(); ++i) delay *= 2;
  delay = std::clamp<std::int64_t>(delay, 1, std::max<std::int64_t>(1, max_backoff.count()));
  return now + delay;
}

}  // namespace sm::queue
