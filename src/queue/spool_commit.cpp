// spool_commit.cpp - the Spool's committer thread: group commit of message,
// state, hold, release and done records with one write and one sync per
// batch, then deleting dead segments and compacting sparse ones (see
// spool.h and spool_index.h).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "queue/spool.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::queue {
namespace {

metrics::Counter committed_total("securemail_queue_committed_total", "Messages durably committed to the queue");
metrics::Counter commit_batches_total("securemail_queue_commit_batches_total", "Group-commit batches (sync calls)");
metrics::Counter commit_errors_total("securemail_queue_commit_errors_total", "Messages refused because the queue could not store them");
metrics::Counter segments_deleted_total("securemail_queue_segments_deleted_total", "Queue log segments deleted (all their messages done)");
metrics::Counter compacted_total("securemail_queue_compacted_messages_total", "Live messages copied out of sparse queue log segments");

}  // namespace

void Spool::start_committer() {
  committer_ = std::thread([this] { committer_loop(); });
}

Spool::~Spool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (committer_.joinable()) committer_.join();
}

// A batch is whatever arrived while the previous one was being synced.
// State, hold, release and done records alone are written at once without
// a sync (a reader of the segments sees them); the next batch of mail, a
// sync() or, when none comes, kLazySync later, makes them durable.
void Spool::committer_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    auto work = [this] { return stopping_ || !pending_.empty() || !controls_.empty() || !moves_.empty(); };
    bool lazy_sync = false;
    if (log_->dirty()) lazy_sync = !cv_.wait_for(lock, kLazySync, work);
    else cv_.wait(lock, work);
    if (stopping_ && pending_.empty() && controls_.empty() && moves_.empty() && !log_->dirty()) return;
    std::vector<Pending> batch;
    std::vector<Control> controls;
    std::vector<Move> moves;
    batch.swap(pending_);
    controls.swap(controls_);
    moves.swap(moves_);
    bool durable = lazy_sync || stopping_ || !batch.empty() || !moves.empty();
    lock.unlock();
    bool ok = commit_batch(batch, controls, moves, durable);
    lock.lock();
    if (ok) continue;
    if (stopping_) return;  // the disk refuses: what is left is redelivered (at least once)
    // Do not spin on a failing disk: retry state records in a while, new mail at once.
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || !pending_.empty(); });
  }
}

bool Spool::commit_batch(std::vector<Pending>& batch, std::vector<Control>& controls, std::vector<Move>& moves,
                         bool durable) {
  if (durable) commit_batches_total.add();
  // What each record is: (kind, index); kinds 0 message, 1 initial state, 2 move, 3 move state, 4 control.
  std::vector<OutgoingRecord> records;
  std::vector<std::pair<int, std::size_t>> what;
  std::vector<std::optional<Error>> errors(batch.size());
  std::vector<std::string> move_states(moves.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    SpoolWriter* w = batch[i].writer.get();
    if (!w) continue;
    std::uint64_t length = w->head_.size() + w->size_;
    if (w->error_) errors[i] = w->error_;
    else if (length > UINT32_MAX) errors[i] = Error{552, "5.3.4", "message too big for the queue"};
    if (errors[i]) continue;
    OutgoingRecord r;
    r.header = encode_header(RecordType::message, w->held_ ? kFlagHeld : 0, w->id(), static_cast<std::uint32_t>(length), w->crc_);
    r.head = w->head_;
    r.body = w->body_;
    if (w->spill_fd_ >= 0) r.body_fd = w->spill_fd_, r.body_length = w->size_;
    records.push_back(std::move(r));
    what.emplace_back(0, i);
    if (!w->initial_state_.empty()) {
      OutgoingRecord s;
      s.header = encode_header(RecordType::state, 0, w->id(), static_cast<std::uint32_t>(w->initial_state_.size()),
                               crc32c(w->initial_state_));
      s.head = w->initial_state_;
      records.push_back(std::move(s));
      what.emplace_back(1, i);
    }
  }
  {
    // Compacted copies first: their state is the latest; records queued
    // meanwhile follow them and win.
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < moves.size(); ++i) {
      const IndexEntry* e = index_.find(moves[i].id);
      if (!e || e->removed || e->message.segment != moves[i].from.segment || e->message.offset != moves[i].from.offset)
        continue;
      OutgoingRecord r;
      r.header = encode_header(RecordType::message, e->held ? kFlagHeld : 0, moves[i].id,
                               static_cast<std::uint32_t>(moves[i].payload.size()), crc32c(moves[i].payload));
      r.head = moves[i].payload;
      records.push_back(std::move(r));
      what.emplace_back(2, i);
      move_states[i] = format_state(e->envelope, e->state);
      OutgoingRecord s;
      s.header = encode_header(RecordType::state, 0, moves[i].id, static_cast<std::uint32_t>(move_states[i].size()),
                               crc32c(move_states[i]));
      s.head = move_states[i];
      records.push_back(std::move(s));
      what.emplace_back(3, i);
    }
  }
  for (std::size_t i = 0; i < controls.size(); ++i) {
    OutgoingRecord r;
    r.header = encode_header(controls[i].type, 0, controls[i].id, static_cast<std::uint32_t>(controls[i].payload.size()),
                             crc32c(controls[i].payload));
    r.head = controls[i].payload;
    records.push_back(std::move(r));
    what.emplace_back(4, i);
  }

  auto places = records.empty() && !(durable && log_->dirty()) ? Result<std::vector<RecordPlace>>{}
                                                               : log_->append(records, durable);
  if (!places) {
    Error e = places.error();
    for (auto& err : errors) if (!err) err = e;
    std::lock_guard lock(mu_);
    // Not written: state and done records go out with the next batch.
    controls_.insert(controls_.begin(), std::make_move_iterator(controls.begin()), std::make_move_iterator(controls.end()));
  } else {
    std::lock_guard lock(mu_);
    for (std::size_t k = 0; k < records.size(); ++k) {
      auto [kind, i] = what[k];
      Loc loc{(*places)[k].segment, (*places)[k].offset, records[k].size()};
      if (kind == 0) {
        SpoolWriter& w = *batch[i].writer;
        IndexEntry entry;
        entry.envelope = w.envelope_;
        entry.envelope.size = w.size_;
        entry.held = w.held_;
        entry.head_length = w.head_.size();
        if (w.spill_fd_ < 0 && !w.held_ && cached_bytes_ + w.body_.size() <= kMemoryCacheLimit) {
          cached_bytes_ += w.body_.size();
          entry.octets = std::make_shared<const std::string>(std::move(w.body_));
        }
        index_.add_message(w.id(), std::move(entry), loc);
      } else if (kind == 2) {
        IndexEntry* e = index_.find(moves[i].id);
        IndexEntry moved = *e;
        index_.add_message(moves[i].id, std::move(moved), loc);
        compacted_total.add();
      } else {
        const std::string& id = kind == 4 ? controls[i].id : kind == 3 ? moves[i].id : batch[i].writer->id();
        index_.place(kind == 4 ? controls[i].type : RecordType::state, id, loc);
      }
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::string id = batch[i].writer ? batch[i].writer->id() : std::string();
    bool barrier = !batch[i].writer;
    bool discreet = !barrier && batch[i].writer->envelope_.discreet;  // never named in the log
    batch[i].writer.reset();  // closes a spill file
    if (errors[i]) {
      if (!barrier) {
        commit_errors_total.add();
        if (!discreet) log::warn("{}: queue commit failed: {}", id, errors[i]->text);
      }
      batch[i].done(std::unexpected(*errors[i]));
      continue;
    }
    if (!barrier) committed_total.add();
    batch[i].done(std::move(id));
  }
  if (!places) return false;
  if (durable) {  // done records on stable storage: their segments may go
    collect_garbage();
    plan_compaction();
  }
  return true;
}

// Delete every segment nothing refers to any more (their done records are
// on stable storage now: this runs after a sync).
void Spool::collect_garbage() {
  std::vector<std::uint64_t> dead;
  {
    std::lock_guard lock(mu_);
    dead = index_.deletable(log_->head());
  }
  for (auto n : dead) {
    if (auto r = log_->remove(n); !r) {
      log::warn("queue: cannot delete segment {}: {}", log_->path(n).filename().string(), r.error().text);
      return;  // later ones may bury messages of this one
    }
    segments_deleted_total.add();
    std::lock_guard lock(mu_);
    index_.forget_segment(n);
    open_segments_.erase(n);  // deliveries under way keep their descriptor
  }
}

// A closed segment with under a quarter live: read its live messages now
// and copy them to the head with the next batch.
void Spool::plan_compaction() {
  std::vector<std::pair<std::string, Loc>> live;
  {
    std::lock_guard lock(mu_);
    if (!moves_.empty()) return;
    auto n = index_.compaction_candidate(log_->head());
    if (!n) return;
    for (const auto& id : index_.messages_in(*n)) live.emplace_back(id, index_.find(id)->message);
  }
  std::vector<Move> moves;
  for (auto& [id, loc] : live) {
    Move m{id, loc, {}};
    std::string header;
    auto read = [&](const std::filesystem::path& p) {
      int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return false;
      m.payload.resize(loc.length - kRecordHeaderSize);
      ssize_t n = ::pread(fd, m.payload.data(), m.payload.size(), static_cast<off_t>(loc.offset + kRecordHeaderSize));
      ::close(fd);
      return n == static_cast<ssize_t>(m.payload.size());
    };
    if (!read(log_->path(loc.segment))) {
      log::warn("{}: cannot read the message for compaction; it stays where it is", id);
      return;
    }
    moves.push_back(std::move(m));
  }
  std::lock_guard lock(mu_);
  moves_ = std::move(moves);
  cv_.notify_one();
}

}  // namespace sm::queue
