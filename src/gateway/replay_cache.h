// replay_cache.h - which (seal id, recipient) pairs this gateway has
// already delivered, in DATA/replay.sqlite, for [policy] replay_window.
//
// A sealing gateway retries a message whose 250 it never saw, and an
// attacker may resend a captured one: either way the recipient must get it
// once. Checking and claiming a pair is one atomic step (claim()), taken
// before the message is committed: the same sealed message arriving on
// several sessions at once is claimed by one of them, and the others are
// told to try later (the pair is in flight). The claim becomes a record
// when the message is committed (ReplayClaim::commit) and is released
// when the transaction fails, so a failed attempt can be retried.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>
#include <string>

#include "store/sqlite.h"

namespace sm::gateway {

class ReplayCache;

// Pairs claimed by one transaction; released on destruction unless committed.
class ReplayClaim {
 public:
  ReplayClaim(const ReplayClaim&) = delete;
  ReplayClaim& operator=(const ReplayClaim&) = delete;
  ~ReplayClaim();
  // The message is on stable storage: record the pairs, release the claim.
  void commit();

 private:
  friend class ReplayCache;
  ReplayClaim(ReplayCache& cache, std::string seal_id, std::vector<std::string> recipients, std::int64_t sealed_at)
      : cache_(cache), seal_id_(std::move(seal_id)), recipients_(std::move(recipients)), sealed_at_(sealed_at) {}
  ReplayCache& cache_;
  std::string seal_id_;
  std::vector<std::string> recipients_;  // lower-cased
  std::int64_t sealed_at_;
  bool done_ = false;
};

class ReplayCache {
 public:
  static Result<std::unique_ptr<ReplayCache>> open(const std::filesystem::path& data_dir, std::chrono::seconds window);

  struct Claimed {
    std::vector<std::size_t> fresh;       // indexes of recipients claimed now
    bool in_flight = false;               // another transaction holds a pair: nothing was claimed
    std::shared_ptr<ReplayClaim> claim;   // null when nothing is fresh or in_flight
  };
  // Atomically: which recipients have not had this seal id (neither
  // recorded nor claimed by a transaction in flight), claiming those.
  Claimed claim(const std::string& seal_id, const std::vector<std::string>& recipients, std::int64_t sealed_at);

  // Has this pair been recorded (its message committed)?
  bool seen(const std::string& seal_id, const std::string& recipient);

 private:
  friend class ReplayClaim;
  ReplayCache(store::Database db, std::chrono::seconds window) : db_(std::move(db)), window_(window) {}
  bool recorded(const std::string& seal_id, const std::string& lower_recipient);  // mu_ held
  // Record the pairs; forgets entries older than the window now and then.
  void record(const std::string& seal_id, const std::vector<std::string>& lower_recipients, std::int64_t sealed_at);
  void release(const std::string& seal_id, const std::vector<std::string>& lower_recipients);
  std::mutex mu_;
  store::Database db_;
  std::chrono::seconds window_;
  std::uint64_t writes_ = 0;
  std::set<std::pair<std::string, std::string>> in_flight_;  // (seal id, lower-cased recipient)
};

}  // namespace sm::gateway
