// replica.cpp - a gateway's copy of the directory (see replica.h).
//
// DATA/directory.sqlite holds the last good signed feed exactly as fetched
// (feed_body) with its serial, issue time and when it was last fetched
// (feed). Both are replaced in one transaction (synchronous=FULL), so after
// a crash the file holds either the old or the new good feed. On open the stored
// bytes are verified again like a fetched feed, except for age. Member
// certificates are checked on first use (member_certificate.h), so neither
// an apply nor a restart examines them.
#include "directory/replica.h"

#include <ctime>
#include <limits>

#include "directory/digest.h"
#include "util/log.h"

namespace sm::directory {

namespace {

constexpr std::string_view kMigrations[] = {R"sql(
CREATE TABLE feed (
  slot    INTEGER PRIMARY KEY CHECK (slot = 1),
  serial  INTEGER NOT NULL,
  issued  INTEGER NOT NULL,       -- unix seconds
  fetched INTEGER NOT NULL        -- unix seconds of the last good fetch
);
-- Apart from the small row, so recording a fetch does not rewrite the feed.
CREATE TABLE feed_body (
  slot INTEGER PRIMARY KEY CHECK (slot = 1),
  body BLOB NOT NULL              -- the signed feed (DER CMS) as fetched
);
)sql",
                                            R"sql(
-- Member certificates found good (certificate_cache.h), so a restart does
-- not examine every certificate of the stored feed again.
CREATE TABLE certificates (
  digest      BLOB PRIMARY KEY,   -- SHA-256 of the PEM text in the feed
  trust       BLOB NOT NULL,      -- the trust state they were found under
  not_before  INTEGER NOT NULL,
  not_after   INTEGER NOT NULL,
  crl_checked INTEGER NOT NULL,
  dns_names   TEXT NOT NULL       -- space-separated, sorted
);
)sql",
                                            R"sql(
-- Member certificates are checked on first use now, not at apply
-- (member_certificate.h): the stored results are no longer needed.
DROP TABLE certificates;
)sql"};

}  // namespace

Replica::Replica(store::Database db, VerifyOptions options)
    : db_(std::move(db)), options_(options) {}

Result<std::unique_ptr<Replica>> Replica::open(const std::filesystem::path& data_dir,
                                               VerifyOptions options) {
  if (options.authority == nullptr) return local_error("the directory replica needs the authority certificate");
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return local_error(data_dir.string() + ": " + ec.message());
  auto db = store::Database::open(database_file(data_dir), kMigrations);
  if (!db) return std::unexpected(db.error());
  std::unique_ptr<Replica> replica(new Replica(std::move(*db), options));
  replica->load();
  return replica;
}

void Replica::load() {
  auto stmt = db_.prepare("SELECT feed_body.body, feed.fetched FROM feed JOIN feed_body USING (slot)");
  auto row = stmt ? stmt->step() : Result<bool>(std::unexpected(stmt.error()));
  if (!row) {
    load_error_ = FeedError{Rejection::malformed, "cannot read the stored feed: " + row.error().text};
  } else if (*row) {
    std::string body = stmt->blob_at(0);
    std::int64_t fetched = stmt->int_at(1);
    VerifyOptions o = options_;
    o.current_serial = 0;
    o.max_age = std::chrono::seconds::max();  // a stale copy beats none; stale() reports it
    auto feed = verify_feed(body, o);
    if (feed) {
      current_ = Directory::build(std::move(*feed));
      held_ = true;
      digest_ = detail::view(detail::sha256(body));
      last_success_ = fetched;
      return;
    }
    load_error_ = std::move(feed.error());
  }
  if (load_error_)
    log::warn("{}: stored directory feed ignored: {}", db_.file().string(), load_error_->text());
}

std::int64_t Replica::now() const {
  return options_.now != 0 ? options_.now : static_cast<std::int64_t>(std::time(nullptr));
}

Result<> Replica::store(std::string_view signed_feed, const Feed& feed, std::int64_t now) {
  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto put = db_.prepare("INSERT OR REPLACE INTO feed (slot, serial, issued, fetched) VALUES (1, ?, ?, ?)");
  if (!put) return std::unexpected(put.error());
  put->bind(1, static_cast<std::int64_t>(feed.serial)).bind(2, feed.issued).bind(3, now);
  if (auto r = put->run(); !r) return r;
  auto body = db_.prepare("INSERT OR REPLACE INTO feed_body (slot, body) VALUES (1, ?)");
  if (!body) return std::unexpected(body.error());
  if (auto r = body->bind_blob(1, signed_feed).run(); !r) return r;
  return tx->commit();
}

// A fetch that brought nothing new still proves the authority is reachable.
void Replica::touch(std::int64_t now) {
  {
    std::lock_guard lock(mutex_);
    last_success_ = now;
  }
  auto stmt = db_.prepare("UPDATE feed SET fetched = ? WHERE slot = 1");
  if (auto r = stmt ? stmt->bind(1, now).run() : Result<>(std::unexpected(stmt.error())); !r)
    log::warn("{}: cannot record the fetch time: {}", db_.file().string(), r.error().text);
}

FeedResult<ApplyReport> Replica::apply(std::string_view signed_feed) {
  std::lock_guard apply_lock(apply_mutex_);
  std::int64_t now = this->now();
  std::string digest(detail::view(detail::sha256(signed_feed)));
  std::shared_ptr<const Directory> held;
  bool has_feed = false, same_bytes = false;
  {
    std::lock_guard lock(mutex_);
    held = current_;
    has_feed = held_;
    same_bytes = held_ && digest == digest_;
  }
  if (same_bytes) {  // the feed we hold, fetched again: nothing to verify
    touch(now);
    return ApplyReport{false, held->serial(), {}, {}};
  }

  VerifyOptions o = options_;
  o.current_serial = has_feed ? held->serial() : 0;
  o.now = now;
  auto verified = verify_feed_with_crls(signed_feed, o);
  if (!verified) return std::unexpected(std::move(verified.error()));
  if (has_feed && verified->feed.serial == held->serial()) {
    touch(now);
    return ApplyReport{false, held->serial(), {}, {}};
  }

  std::shared_ptr<const Directory> next = Directory::build(std::move(verified->feed));
  {
    std::lock_guard lock(mutex_);
    current_ = next;
    held_ = true;
    digest_ = digest;
    last_success_ = now;
  }
  // Lookups see the new feed from here on; storing it is for restarts, so
  // a failure to store is reported but does not undo the apply.
  ApplyReport report{true, next->serial(), diff(held->feed(), next->feed()), {}, std::move(verified->crls)};
  if (auto r = store(signed_feed, next->feed(), now); !r) {
    report.store_error = r.error().text;
    log::warn("directory feed {} applied but not stored: {}", report.serial, report.store_error);
  }
  return report;  // the old snapshot goes with `held`, outside any lock
}

std::shared_ptr<const Directory> Replica::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::int64_t Replica::last_success() const {
  std::lock_guard lock(mutex_);
  return last_success_;
}

bool Replica::stale(std::int64_t now) const {
  std::lock_guard lock(mutex_);
  if (!held_) return true;
  std::int64_t t = now != 0 ? now : this->now();
  return t - current_->feed().issued > options_.max_age.count();
}

std::optional<FeedError> Replica::load_error() const {
  std::lock_guard lock(mutex_);
  return load_error_;
}

}  // namespace sm::directory
