// replay_cache.h - which (seal id, recipient) pairs this gateway has
// already delivered, in DATA/replay.sqlite, for [policy] replay_window.
//
// A sealing gateway retries a message whose 250 it never saw, and an
// attacker may resend a captured one: either way the recipient must get it
// once. Pairs are recorded only after the message is committed to our
// queue, so a failed attempt can be retried.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>
#include <string>

#include "store/sqlite.h"

namespace sm::gateway {

class ReplayCache {
 public:
  static Result<std::unique_ptr<ReplayCache>> open(const std::filesystem::path& data_dir, std::chrono::seconds window);

  bool seen(const std::string& seal_id, const std::string& recipient);
  // Remember the pairs; forgets entries older than the window now and then.
  void remember(const std::string& seal_id, const std::vector<std::string>& recipients, std::int64_t sealed_at);

 private:
  ReplayCache(store::Database db, std::chrono::seconds window) : db_(std::move(db)), window_(window) {}
  std::mutex mu_;
  store::Database db_;
  std::chrono::seconds window_;
  std::uint64_t writes_ = 0;
};

}  // namespace sm::gateway
