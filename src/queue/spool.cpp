// spool.cpp - durable queue files, group commit, and operator moves
// (opening the spool is in spool_open.cpp).
#include "queue/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <sstream>

#include "util/log.h"
#include "util/metrics.h"

namespace fs = std::filesystem;

namespace sm::queue {
namespace {

metrics::Counter committed_total("securemail_queue_committed_total", "Messages durably committed to the queue");
metrics::Counter commit_batches_total("securemail_queue_commit_batches_total", "Group-commit batches (sync calls)");
metrics::Counter commit_errors_total("securemail_queue_commit_errors_total", "Messages refused because the queue could not store them");

Error io_error(const std::string& what, int err) {
  if (err == ENOSPC || err == EDQUOT)
    return Error{452, "4.3.1", "insufficient system storage"};
  return Error{451, "4.3.0", "queue " + what + ": " + std::strerror(err)};
}

Result<std::string> read_file(const fs::path& p, std::size_t max = SIZE_MAX) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(io_error("open " + p.filename().string(), errno));
  std::string out;
  char buf[16384];
  while (out.size() < max) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, max - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return std::unexpected(io_error("read", e));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

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

int open_dir(const fs::path& p) { return ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }

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

SpoolWriter::SpoolWriter(std::string id, int fd, fs::path tmp_path, fs::path final_path)
    : id_(std::move(id)), fd_(fd), tmp_path_(std::move(tmp_path)), final_path_(std::move(final_path)) {}

SpoolWriter::~SpoolWriter() { discard(); }

void SpoolWriter::hold_on_commit() {
  held_ = true;
  final_path_ = final_path_.parent_path().parent_path() / "hold" / id_;
}

void SpoolWriter::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!committed_) ::unlink(tmp_path_.c_str());
}

Result<void> SpoolWriter::write(std::string_view octets) {
  if (error_) return std::unexpected(*error_);
  int err = 0;
  if (!write_all(fd_, octets, err)) {
    error_ = io_error("write", err);
    return std::unexpected(*error_);
  }
  size_ += octets.size();
  return {};
}

// ---- Spool ------------------------------------------------------------------

Spool::Spool(fs::path root, SyncMode mode, int root_fd, int active_fd)
    : root_(std::move(root)), mode_(mode), root_fd_(root_fd), active_fd_(active_fd) {
  committer_ = std::thread([this] { committer_loop(); });
}

Spool::~Spool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (committer_.joinable()) committer_.join();
  if (root_fd_ >= 0) ::close(root_fd_);
  if (active_fd_ >= 0) ::close(active_fd_);
}

Result<std::unique_ptr<SpoolWriter>> Spool::create(mail::Envelope env) {
  if (!valid_queue_id(env.id)) env.id = new_queue_id();
  fs::path tmp = root_ / "tmp" / env.id;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(io_error("create", errno));
  std::unique_ptr<SpoolWriter> w(new SpoolWriter(env.id, fd, tmp, root_ / "active" / env.id));
  int err = 0;
  std::string block = format_envelope(env);
  if (!write_all(fd, block, err)) return std::unexpected(io_error("write", err));
  w->offset_ = block.size();
  return w;
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

void Spool::committer_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty() && stopping_) return;
    std::vector<Pending> batch;
    batch.swap(pending_);
    lock.unlock();
    commit_batch(batch);
    lock.lock();
  }
}

// Make every file of the batch durable, then name them in active/ and make
// the names durable. Only then report success.
void Spool::commit_batch(std::vector<Pending>& batch) {
  commit_batches_total.add();
  std::vector<std::optional<Error>> errors(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (batch[i].writer->error_) errors[i] = batch[i].writer->error_;

  if (mode_ == SyncMode::syncfs) {
    if (::syncfs(root_fd_) != 0) {
      Error e = io_error("syncfs", errno);
      for (auto& err : errors) if (!err) err = e;
    }
  } else {
    for (std::size_t i = 0; i < batch.size(); ++i)
      if (!errors[i] && ::fdatasync(batch[i].writer->fd_) != 0) errors[i] = io_error("fsync", errno);
  }
  bool renamed_any = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    SpoolWriter& w = *batch[i].writer;
    if (errors[i]) continue;
    if (::rename(w.tmp_path_.c_str(), w.final_path_.c_str()) != 0) errors[i] = io_error("rename", errno);
    else renamed_any = w.committed_ = true;
  }
  // Quarantined messages were renamed into hold/: make those names durable too.
  bool held_any = false;
  for (std::size_t i = 0; i < batch.size(); ++i) held_any |= batch[i].writer->committed_ && batch[i].writer->held_;
  if (held_any) {
    int hold_fd = ::open((root_ / "hold").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int err = hold_fd < 0 || ::fsync(hold_fd) != 0 ? errno : 0;
    if (hold_fd >= 0) ::close(hold_fd);
    for (std::size_t i = 0; err != 0 && i < batch.size(); ++i) {
      SpoolWriter& w = *batch[i].writer;
      if (!w.committed_ || !w.held_) continue;
      ::rename(w.final_path_.c_str(), w.tmp_path_.c_str());
      w.committed_ = false;
      errors[i] = io_error("fsync hold directory", err);
    }
  }
  if (renamed_any && ::fsync(active_fd_) != 0) {
    // The names may not be durable: refuse them all and take them back.
    Error e = io_error("fsync directory", errno);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      SpoolWriter& w = *batch[i].writer;
      if (errors[i]) continue;
      ::rename(w.final_path_.c_str(), w.tmp_path_.c_str());
      w.committed_ = false;
      errors[i] = e;
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::string id = batch[i].writer->id_;
    batch[i].writer.reset();  // closes; unlinks the tmp file if not committed
    if (errors[i]) {
      commit_errors_total.add();
      log::warn("{}: queue commit failed: {}", id, errors[i]->text);
      batch[i].done(std::unexpected(*errors[i]));
    } else {
      committed_total.add();
      batch[i].done(std::move(id));
    }
  }
}

std::vector<std::string> Spool::list(const char* sub) const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ / sub, ec)) {
    std::string name = e.path().filename().string();
    if (valid_queue_id(name)) ids.push_back(std::move(name));
  }
  std::sort(ids.begin(), ids.end());  // ids are time-ordered
  return ids;
}

std::vector<std::string> Spool::active_ids() const { return list("active"); }
std::vector<std::string> Spool::held_ids() const { return list("hold"); }

fs::path Spool::state_path(const std::string& id) const { return root_ / "state" / id; }

Result<QueuedMessage> Spool::load(const std::string& id) const {
  if (!valid_queue_id(id)) return fail(550, "5.1.0", "not a queue id: " + id);
  QueuedMessage m;
  m.path = root_ / "active" / id;
  auto head = read_file(m.path, 1 << 20);
  if (!head) {
    m.path = root_ / "hold" / id;
    m.held = true;
    head = read_file(m.path, 1 << 20);
  }
  if (!head) return fail(550, "5.1.0", "no such message in the queue: " + id);
  auto env = parse_envelope(*head, m.body_offset);
  if (!env) return std::unexpected(env.error());
  m.envelope = std::move(*env);
  std::error_code ec;
  auto total = fs::file_size(m.path, ec);
  m.envelope.size = ec ? 0 : total - m.body_offset;
  if (auto st = read_file(state_path(id), 1 << 20); st) {
    if (!parse_state(*st, m.envelope, m.state))
      log::warn("{}: ignoring unreadable delivery state; every pending recipient will be tried", id);
  }
  return m;
}

Result<void> Spool::save_state(const QueuedMessage& msg) {
  const std::string& id = msg.envelope.id;
  fs::path tmp = root_ / "state" / (id + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(io_error("state", errno));
  int err = 0;
  bool ok = write_all(fd, format_state(msg.envelope, msg.state), err);
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), state_path(id).c_str()) != 0) {
    if (ok) err = errno;
    ::unlink(tmp.c_str());
    return std::unexpected(io_error("state", err));
  }
  return {};
}

Result<void> Spool::remove(const std::string& id) {
  if (!valid_queue_id(id)) return fail(550, "5.1.0", "not a queue id: " + id);
  bool gone = ::unlink((root_ / "active" / id).c_str()) == 0;
  gone = (::unlink((root_ / "hold" / id).c_str()) == 0) || gone;
  ::unlink(state_path(id).c_str());
  if (!gone) return fail(550, "5.1.0", "no such message in the queue: " + id);
  return {};
}

static Result<void> move_between(const fs::path& root, const std::string& id, const char* from, const char* to) {
  if (!valid_queue_id(id)) return fail(550, "5.1.0", "not a queue id: " + id);
  if (::rename((root / from / id).c_str(), (root / to / id).c_str()) != 0) {
    if (errno == ENOENT) return fail(550, "5.1.0", std::string("no such message in ") + from + ": " + id);
    return std::unexpected(io_error("rename", errno));
  }
  int dfd = open_dir(root / to);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<void> Spool::hold(const std::string& id) { return move_between(root_, id, "active", "hold"); }
Result<void> Spool::release(const std::string& id) { return move_between(root_, id, "hold", "active"); }

void Spool::quarantine(const std::string& id) {
  if (!valid_queue_id(id)) return;
  if (move_between(root_, id, "active", "corrupt")) log::error("{}: unreadable queue file moved to corrupt/", id);
}

std::size_t Spool::recover() {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ / "tmp", ec)) {
    fs::remove(e.path(), ec);
    ++removed;
  }
  for (const auto& e : fs::directory_iterator(root_ / "state", ec)) {
    std::string name = e.path().filename().string();
    if (!valid_queue_id(name) || (!fs::exists(root_ / "active" / name) && !fs::exists(root_ / "hold" / name)))
      fs::remove(e.path(), ec);
  }
  return removed;
}

}  // namespace sm::queue
