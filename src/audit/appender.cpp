// appender.cpp - the audit trail's queue, writer thread, flood folding and
// daily retention (see appender.h).
#include "audit/appender.h"

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "audit/json_text.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::audit {
namespace {

metrics::Counter dropped_total("securemail_audit_dropped_total",
                               "Security events not written to the audit trail because its queue was full");

std::atomic<Appender*> installed{nullptr};

using Clock = std::chrono::steady_clock;

std::string fold_key(const Event& e) {
  return e.action + '\0' + e.client + '\0' + e.object + '\0' + json_object(e.details);
}

AuditTrail::Record to_record(const Event& e, std::int64_t repeated) {
  auto details = e.details;
  if (!e.client.empty()) details.insert(details.begin(), {"client", e.client});
  if (repeated > 0) details.emplace_back("repeated", "#" + std::to_string(repeated));
  return {"gateway", e.action, e.object, "", json_object(details), static_cast<std::int64_t>(std::time(nullptr))};
}

}  // namespace

struct Appender::State {
  std::mutex mutex;
  std::condition_variable wake, done;
  std::deque<Event> queue;
  bool stopping = false;
  std::uint64_t queued = 0, written = 0;  // generations for flush()
  std::atomic<std::int64_t> dropped{0};
  struct Fold {
    Clock::time_point opened;
    std::int64_t repeats = 0;
    Event event;
  };
  std::map<std::string, Fold> folds;  // writer thread only
  std::thread thread;
};

Appender::Appender(std::shared_ptr<AuditTrail> trail, Options options)
    : trail_(std::move(trail)), options_(options), state_(std::make_unique<State>()) {
  state_->thread = std::thread([this] { run(); });
}

Appender::~Appender() { stop(); }


bool Appender::record(Event event) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopping || state_->queue.size() >= options_.capacity) {
      state_->dropped.fetch_add(1, std::memory_order_relaxed);
      dropped_total.add();
      return false;
    }
    state_->queue.push_back(std::move(event));
    ++state_->queued;
  }
  state_->wake.notify_one();
  return true;
}

void Appender::flush() {
  std::unique_lock lock(state_->mutex);
  const std::uint64_t target = state_->queued;
  state_->wake.notify_one();
  state_->done.wait(lock, [&] { return state_->written >= target; });
}

void Appender::stop() {
  Appender* self = this;
  installed.compare_exchange_strong(self, nullptr);  // no record() reaches a stopped appender
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopping) return;
    state_->stopping = true;
  }
  state_->wake.notify_one();
  if (state_->thread.joinable()) state_->thread.join();
  state_->done.notify_all();
}

std::int64_t Appender::dropped() const { return state_->dropped.load(std::memory_order_relaxed); }

void Appender::run() {
  State& s = *state_;
  auto next_prune = Clock::now();
  for (;;) {
    std::deque<Event> batch;
    bool stopping = false;
    std::uint64_t generation = 0;
    {
      std::unique_lock lock(s.mutex);
      s.wake.wait_for(lock, std::chrono::seconds(1), [&] { return s.stopping || !s.queue.empty(); });
      batch.swap(s.queue);
      stopping = s.stopping;
      generation = s.queued;
    }
    const auto now = Clock::now();
    std::vector<AuditTrail::Record> records;
    for (auto& e : batch) {
      std::string key = fold_key(e);
      auto it = s.folds.find(key);
      if (it != s.folds.end() && now - it->second.opened < options_.fold_window) {
        ++it->second.repeats;
        continue;
      }
      if (it != s.folds.end() && it->second.repeats > 0) records.push_back(to_record(it->second.event, it->second.repeats));
      records.push_back(to_record(e, 0));
      s.folds[key] = State::Fold{now, 0, std::move(e)};
    }
    for (auto it = s.folds.begin(); it != s.folds.end();) {
      if (!stopping && now - it->second.opened < options_.fold_window) {
        ++it;
        continue;
      }
      if (it->second.repeats > 0) records.push_back(to_record(it->second.event, it->second.repeats));
      it = s.folds.erase(it);
    }
    if (auto ok = trail_->append_all(records); !ok)
      log::error("audit trail: {} event(s) not written: {}", records.size(), ok.error().text);
    if (options_.retention.count() > 0 && now >= next_prune) {
      next_prune = now + options_.prune_every;
      const std::int64_t unix_now = std::time(nullptr);
      auto removed = trail_->prune(unix_now - options_.retention.count(), unix_now);
      if (!removed) log::error("audit trail: retention: {}", removed.error().text);
      else if (*removed) log::info("audit trail: {} entr{} older than the retention removed", *removed, *removed == 1 ? "y" : "ies");
    }
    {
      std::lock_guard lock(s.mutex);
      s.written = generation;
    }
    s.done.notify_all();
    if (stopping) return;
  }
}

void install(Appender* appender) { installed.store(appender, std::memory_order_release); }

void record(Event event) {
  if (Appender* a = installed.load(std::memory_order_acquire)) a->record(std::move(event));
}

}  // namespace sm::audit
