// spool_legacy.cpp - converting a spool of the old file-per-message layout
// (active/ID, hold/ID, state/ID sidecars, tmp/ leftovers) into the segment
// log at the first open by this version.
//
// Each message is appended with its state as one batch and synced; only
// after every message is durable in the log are the old files removed.
// Ids already in the log are skipped, so an interrupted conversion is
// simply run again. An old file that cannot be read is moved to corrupt/,
// never deleted.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <future>

#include "queue/spool.h"
#include "util/log.h"

namespace fs = std::filesystem;

namespace sm::queue {
namespace {

constexpr std::size_t kConversionBatch = 64;  // messages in memory at once

std::optional<std::string> slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::string s{std::istreambuf_iterator<char>(in), {}};
  if (in.bad()) return std::nullopt;
  return s;
}

}  // namespace

Result<std::size_t> convert_legacy_spool(Spool& spool) {
  const fs::path& root = spool.root();
  std::vector<fs::path> converted;
  std::size_t count = 0;
  std::error_code ec;
  struct FixUp {
    std::string id;
    mail::Envelope envelope;
    DeliveryState state;
    std::uint64_t size;
  };
  std::vector<std::future<Result<std::string>>> waiting;
  std::vector<FixUp> fix_ups;
  // Wait for the commits in flight (a batch or a few: the committer groups
  // them) and give each message its state in the index.
  auto settle = [&]() -> Result<void> {
    for (auto& f : waiting)
      if (auto r = f.get(); !r) return std::unexpected(r.error());
    std::lock_guard lock(spool.mu_);
    for (auto& u : fix_ups) {
      if (IndexEntry* e = spool.index_.find(u.id)) {
        e->envelope = std::move(u.envelope);
        e->envelope.size = u.size;
        e->state = u.state;
      }
    }
    waiting.clear();
    fix_ups.clear();
    return {};
  };
  for (const char* sub : {"active", "hold"}) {
    for (const auto& f : fs::directory_iterator(root / sub, ec)) {
      std::string id = f.path().filename().string();
      if (!valid_queue_id(id)) continue;
      {
        std::lock_guard lock(spool.mu_);
        if (spool.index_.find(id)) {  // converted by an interrupted run
          converted.push_back(f.path());
          continue;
        }
      }
      auto text = slurp(f.path());
      std::uint64_t body_offset = 0;
      auto env = text ? parse_envelope(*text, body_offset) : Result<mail::Envelope>(local_error("unreadable"));
      if (!env || env->id != id) {
        log::error("{}: old queue file {} is unreadable ({}); moved to corrupt/", id, f.path().string(),
                   env ? "another id inside" : env.error().text);
        fs::rename(f.path(), root / "corrupt" / id, ec);
        continue;
      }
      DeliveryState state;
      mail::Envelope with_state = *env;
      if (auto sidecar = slurp(root / "state" / id); sidecar && !parse_state(*sidecar, with_state, state)) {
        log::warn("{}: ignoring unreadable delivery state; every pending recipient will be tried", id);
        with_state = *env;
        state = DeliveryState{};
      }
      // The envelope block is kept as the old version wrote it.
      {
        std::lock_guard lock(spool.mu_);
        spool.writing_.insert(id);
      }
      std::unique_ptr<SpoolWriter> w(new SpoolWriter(&spool, *env, text->substr(0, body_offset), root / "tmp"));
      if (auto ok = w->write(std::string_view(*text).substr(body_offset)); !ok) return std::unexpected(ok.error());
      w->initial_state_ = format_state(with_state, state);
      if (std::string(sub) == "hold") w->hold_on_commit();
      std::uint64_t size = text->size() - body_offset;
      auto done = std::make_shared<std::promise<Result<std::string>>>();
      waiting.push_back(done->get_future());
      spool.commit_async(std::move(w), [done](Result<std::string> r) { done->set_value(std::move(r)); });
      // The logical state follows once the records are placed.
      fix_ups.push_back({id, with_state, state, size});
      if (waiting.size() >= kConversionBatch)
        if (auto ok = settle(); !ok) return std::unexpected(ok.error());
      converted.push_back(f.path());
      ++count;
    }
  }
  if (auto ok = settle(); !ok) return std::unexpected(ok.error());
  // Everything above is durable (each commit synced): now the old files go.
  for (const auto& p : converted) {
    fs::remove(p, ec);
    fs::remove(root / "state" / p.filename(), ec);
  }
  for (const auto& e : fs::directory_iterator(root / "tmp", ec))
    if (valid_queue_id(e.path().filename().string())) fs::remove(e.path(), ec);  // never acknowledged
  for (const char* sub : {"state", "active", "hold"}) {
    for (const auto& e : fs::directory_iterator(root / sub, ec))
      if (std::string(sub) == "state") fs::remove(e.path(), ec);  // sidecars of messages no longer queued
    fs::remove(root / sub, ec);  // only when empty
  }
  if (count > 0) log::info("queue: converted {} message(s) from the old file-per-message layout", count);
  return count;
}

}  // namespace sm::queue
