// spool.cpp - receiving a message into a SpoolWriter, and the Spool's
// index operations: load, state, hold, release, remove (the committer is
// in spool_commit.cpp, opening and recovery in spool_open.cpp).
#include "queue/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>

#include "util/log.h"

namespace fs = std::filesystem;

namespace sm::queue {
namespace {

bool write_all(int fd, std::string_view data, int& err) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// An unnamed file in dir (O_TMPFILE): nothing to clean up after a crash.
// Where the file system cannot, a named one unlinked at once.
int unnamed_file(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
  std::string name = (dir / "spill.XXXXXX").string();
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd >= 0) ::unlink(name.c_str());
  return fd;
}

Result<void> no_such(const std::string& id) { return fail(550, "5.1.0", "no such message in the queue: " + id); }

}  // namespace

std::string new_queue_id() {
  static std::atomic<std::uint32_t> counter{0};
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch()).count();
  std::uint32_t c = counter.fetch_add(1) & 0xFFF;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%013llX%03X", static_cast<unsigned long long>(us) & 0xFFFFFFFFFFFFFull, c);
  return buf;
}

bool valid_queue_id(std::string_view id) {
  return id.size() == 16 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
         });
}

// ---- SpoolWriter ----------------------------------------------------------

SpoolWriter::SpoolWriter(Spool* spool, mail::Envelope env, std::string head, fs::path spill_dir)
    : spool_(spool), envelope_(std::move(env)), head_(std::move(head)), spill_dir_(std::move(spill_dir)),
      crc_(crc32c(head_)) {}

SpoolWriter::~SpoolWriter() {
  if (spill_fd_ >= 0) ::close(spill_fd_);
  std::lock_guard lock(spool_->mu_);
  spool_->writing_.erase(envelope_.id);  // committed: the index has it now
}

Result<void> SpoolWriter::spill() {
  spill_fd_ = unnamed_file(spill_dir_);
  int err = errno;
  if (spill_fd_ < 0 || !write_all(spill_fd_, body_, err)) return std::unexpected(io_error("write", err));
  std::string().swap(body_);
  return {};
}

Result<void> SpoolWriter::write(std::string_view octets) {
  if (error_) return std::unexpected(*error_);
  if (spill_fd_ < 0 && body_.size() + octets.size() > kSpillThreshold) {
    if (auto s = spill(); !s) {
      error_ = s.error();
      return s;
    }
  }
  if (spill_fd_ >= 0) {
    int err = 0;
    if (!write_all(spill_fd_, octets, err)) {
      error_ = io_error("write", err);
      return std::unexpected(*error_);
    }
  } else {
    body_.append(octets);
  }
  crc_ = crc32c(octets, crc_);
  size_ += octets.size();
  return {};
}

Result<std::string> SpoolWriter::read_message() const {
  if (spill_fd_ < 0) return body_;
  std::string out(size_, '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(spill_fd_, out.data() + got, out.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return local_error("cannot read back message " + id() + ": " + (n < 0 ? std::strerror(errno) : "short file"));
    got += static_cast<std::size_t>(n);
  }
  return out;
}

// ---- Spool: messages in and out of the index --------------------------------

Result<std::unique_ptr<SpoolWriter>> Spool::create(mail::Envelope env) {
  if (!log_) return local_error("queue " + root_.string() + " is open read-only");
  {
    std::lock_guard lock(mu_);
    // Two copies of one message (sealed for a member, plain for the rest)
    // start with the same id: the second gets its own.
    while (!valid_queue_id(env.id) || index_.find(env.id) || writing_.count(env.id)) env.id = new_queue_id();
    writing_.insert(env.id);
  }
  std::string head = format_envelope(env);
  return std::unique_ptr<SpoolWriter>(new SpoolWriter(this, std::move(env), std::move(head), root_ / "tmp"));
}

void Spool::commit_async(std::unique_ptr<SpoolWriter> writer, CommitDone done) {
  {
    std::lock_guard lock(mu_);
    pending_.push_back(Pending{std::move(writer), std::move(done)});
  }
  cv_.notify_one();
}

Result<std::string> Spool::commit(std::unique_ptr<SpoolWriter> writer) {
  std::promise<Result<std::string>> p;
  auto f = p.get_future();
  commit_async(std::move(writer), [&p](Result<std::string> r) { p.set_value(std::move(r)); });
  return f.get();
}

Result<void> Spool::sync() {
  if (!log_) return {};
  std::promise<Result<std::string>> p;
  auto f = p.get_future();
  commit_async(nullptr, [&p](Result<std::string> r) { p.set_value(std::move(r)); });
  auto r = f.get();
  if (!r) return std::unexpected(r.error());
  return {};
}

std::vector<std::string> Spool::ids(bool held) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, e] : index_.entries())
    if (!e.removed && e.held == held) out.push_back(id);
  return out;  // the map is ordered by id: time order
}

std::vector<std::string> Spool::active_ids() const { return ids(false); }
std::vector<std::string> Spool::held_ids() const { return ids(true); }

Result<QueuedMessage> Spool::load(const std::string& id) const {
  if (!valid_queue_id(id)) return fail(550, "5.1.0", "not a queue id: " + id);
  std::lock_guard lock(mu_);
  const IndexEntry* e = index_.find(id);
  if (!e || e->removed) return fail(550, "5.1.0", "no such message in the queue: " + id);
  QueuedMessage m;
  m.envelope = e->envelope;
  m.state = e->state;
  m.held = e->held;
  m.path = SegmentLog::segment_path(root_ / "segments", e->message.segment);
  m.body_offset = e->body_offset();
  m.octets = e->octets;
  if (!m.octets) {
    auto& fd = open_segments_[e->message.segment];
    if (!fd) {
      int raw = ::open(m.path.c_str(), O_RDONLY | O_CLOEXEC);
      if (raw >= 0) fd = std::shared_ptr<const int>(new int(raw), [](const int* p) { ::close(*p); delete p; });
    }
    m.segment = fd;  // null when it cannot be opened: delivery says why
  }
  return m;
}

Result<void> Spool::queue_control(RecordType type, const std::string& id, std::string payload) {
  controls_.push_back(Control{type, id, std::move(payload)});
  cv_.notify_one();
  return {};
}

Result<void> Spool::save_state(const QueuedMessage& msg) {
  const std::string& id = msg.envelope.id;
  if (!log_) return local_error("queue " + root_.string() + " is open read-only");
  std::lock_guard lock(mu_);
  IndexEntry* e = index_.find(id);
  if (!e || e->removed) return no_such(id);
  for (std::size_t i = 0; i < e->envelope.recipients.size() && i < msg.envelope.recipients.size(); ++i) {
    e->envelope.recipients[i].state = msg.envelope.recipients[i].state;
    e->envelope.recipients[i].last_reply = msg.envelope.recipients[i].last_reply;
  }
  e->state = msg.state;
  if (e->octets) {  // tried once: a deferred message is read from its segment from now on
    cached_bytes_ -= e->octets->size();
    e->octets.reset();
  }
  return queue_control(RecordType::state, id, format_state(e->envelope, e->state));
}

Result<void> Spool::remove(const std::string& id) {
  if (!valid_queue_id(id)) return fail(550, "5.1.0", "not a queue id: " + id);
  if (!log_) return local_error("queue " + root_.string() + " is open read-only");
  std::lock_guard lock(mu_);
  IndexEntry* e = index_.find(id);
  if (!e || e->removed) return no_such(id);
  e->removed = true;
  if (e->octets) {
    cached_bytes_ -= e->octets->size();
    e->octets.reset();
  }
  return queue_control(RecordType::done, id, {});
}

Result<void> Spool::hold(const std::string& id) { return set_held(id, true); }
Result<void> Spool::release(const std::string& id) { return set_held(id, false); }

Result<void> Spool::set_held(const std::string& id, bool held) {
  if (!valid_queue_id(id)) return fail(550, "5.1.0", "not a queue id: " + id);
  if (!log_) return local_error("queue " + root_.string() + " is open read-only");
  std::lock_guard lock(mu_);
  IndexEntry* e = index_.find(id);
  if (!e || e->removed) return no_such(id);
  if (e->held == held) return fail(550, "5.1.0", (held ? "message is held already: " : "message is not held: ") + id);
  e->held = held;
  return queue_control(held ? RecordType::hold : RecordType::release, id, {});
}

std::size_t Spool::recover() {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ / "tmp", ec)) {
    fs::remove(e.path(), ec);
    ++removed;
  }
  return removed;
}

}  // namespace sm::queue
