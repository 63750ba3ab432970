// replica.h - a gateway's copy of the directory: the last good signed feed
// kept in DATA/directory.sqlite (so a restart with the authority down
// still has it), applied only when it verifies, is newer and is fresh.
//
// Thread safety: current(), last_success(), stale() and load_error() may
// be called from any thread at any time; apply() calls are serialised.
// The stored copy is loaded even when it has gone stale (a gateway that
// restarts while the authority is down keeps its last good directory;
// stale() tells the operator).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "directory/directory.h"
#include "directory/feed.h"
#include "directory/feed_crl.h"
#include "store/sqlite.h"

namespace sm::directory {

struct ApplyReport {
  bool changed = false;          // false: same serial as held (nothing to do)
  std::uint64_t serial = 0;
  std::vector<Change> changes;
  // Not empty: the feed was applied (current() has it) but could not be
  // stored, so a restart would come back with the older copy.
  std::string store_error;
  // The CRLs the applied feed carries, unchecked (feed_crl.h decides which
  // one to install); empty when nothing was applied.
  std::vector<ossl::X509CrlPtr> crls;
  // Set by whoever installed one of them as the gateway's CRL file.
  std::optional<CrlInstalled> crl_installed;
};

class Replica {
 public:
  // Opens DATA/directory.sqlite and loads the last good feed (re-verified
  // against the authority; a stored copy that no longer verifies is
  // reported and ignored).
  // options.authority must outlive the Replica;
  // options.current_serial is ignored (the stored copy sets it).
  static Result<std::unique_ptr<Replica>> open(const std::filesystem::path& data_dir,
                                               VerifyOptions options);
  static std::filesystem::path database_file(const std::filesystem::path& data_dir) {
    return data_dir / "directory.sqlite";
  }

  // Verify and, when newer, swap in (lookups see it at once), then store.
  // Rejections leave the current copy in place.
  FeedResult<ApplyReport> apply(std::string_view signed_feed);

  std::shared_ptr<const Directory> current() const;  // never null
  std::int64_t last_success() const;                 // unix seconds of the last good fetch (0: never)
  bool stale(std::int64_t now = 0) const;            // current feed older than max_age (or none held)
  // Why the stored copy was not loaded at open (it did not verify); empty
  // when it loaded or there was none.
  std::optional<FeedError> load_error() const;

 private:
  Replica(store::Database db, VerifyOptions options);
  void load();
  Result<> store(std::string_view signed_feed, const Feed& feed, std::int64_t now);
  void touch(std::int64_t now);
  std::int64_t now() const;

  store::Database db_;             // guarded by apply_mutex_
  VerifyOptions options_;
  std::mutex apply_mutex_;         // one apply (and one database user) at a time
  mutable std::mutex mutex_;       // guards the fields below
  std::shared_ptr<const Directory> current_ = Directory::empty();
  bool held_ = false;              // current_ came from a verified feed
  std::string digest_;             // SHA-256 of the signed bytes behind current_
  std::int64_t last_success_ = 0;
  std::optional<FeedError> load_error_;
};

}  // namespace sm::directory
