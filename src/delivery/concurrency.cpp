// concurrency.cpp - the per-destination concurrency window (see concurrency.h).
#include "delivery/concurrency.h"

#include <algorithm>

namespace sm::delivery {
namespace {
// Sums of 1/window fractions: 0.2 * 5 must count as 1.
constexpr double kSlack = 1e-9;
}  // namespace

DestinationConcurrency::DestinationConcurrency(std::size_t initial, std::size_t limit, double failed_cohort_limit)
    : initial_(std::clamp<std::size_t>(initial, 1, std::max<std::size_t>(1, limit))),
      limit_(std::max<std::size_t>(1, limit)),
      failed_cohort_limit_(failed_cohort_limit),
      window_(initial_) {}

void DestinationConcurrency::delivered(std::size_t open_sessions) {
  fail_cohorts_ = 0;
  if (dead_) return session_opened(open_sessions);
  // Grow only while the window is in use: far ahead of the sessions
  // really open, a later failure would take a long time to bite.
  if (window_ >= limit_ || window_ >= open_sessions + initial_) return;
  double feedback = 1.0 / static_cast<double>(window_);
  success_ += feedback;
  while (success_ + feedback / 2 >= 1.0 - kSlack && window_ < limit_) {
    ++window_;
    success_ -= 1.0;
    failure_ = 0;  // a new negative cycle: the next failure bites at once
  }
  success_ = std::max(0.0, success_);
}

bool DestinationConcurrency::failed(std::size_t open_sessions) {
  if (dead_) return false;
  double feedback = 1.0 / static_cast<double>(window_);
  fail_cohorts_ += feedback;
  failure_ -= feedback;
  while (failure_ - feedback / 2 < -kSlack) {
    if (window_ > 1) --window_;
    success_ = 0;
    failure_ += 1.0;
  }
  if (failed_cohort_limit_ > 0 && fail_cohorts_ + kSlack >= failed_cohort_limit_ && open_sessions == 0) {
    dead_ = true;
    return true;
  }
  return false;
}

void DestinationConcurrency::session_opened(std::size_t open_sessions) {
  fail_cohorts_ = 0;
  if (!dead_) return;
  // Back from the almost dead: the best window is anyone's guess.
  dead_ = false;
  window_ = std::clamp<std::size_t>(open_sessions > 0 ? open_sessions : initial_, 1, limit_);
  success_ = failure_ = 0;
}

void DestinationConcurrency::revive() {
  dead_ = false;
  window_ = initial_;
  success_ = failure_ = fail_cohorts_ = 0;
}

std::chrono::milliseconds greeting_timeout(std::chrono::milliseconds configured, std::size_t jobs_waiting,
                                           std::size_t window) {
  if (jobs_waiting > window) return std::min(configured, kBacklogGreetingTimeout);
  return configured;
}

}  // namespace sm::delivery
