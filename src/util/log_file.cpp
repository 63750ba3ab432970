// log_file.cpp - the daily log file sink with retention by age.
#include "util/log_file.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/daily_file_sink.h>

#include <mutex>

namespace sm::log {
namespace fs = std::filesystem;
namespace {

// "_YYYY-MM-DD" exactly.
bool date_suffix(std::string_view s) {
  if (s.size() != 11 || s[0] != '_' || s[5] != '-' || s[8] != '-') return false;
  for (std::size_t i : {1, 2, 3, 4, 6, 7, 9, 10})
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

std::int64_t day_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::days>(t.time_since_epoch()).count();
}

// spdlog's daily sink, with a retention pass whenever the day changes.
class RetainedDailySink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RetainedDailySink(fs::path base, std::chrono::seconds retention)
      : base_(std::move(base)), retention_(retention), file_(base_.string(), 0, 0) {
    restrict_current();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (std::int64_t day = day_of(msg.time); day != day_) {
      day_ = day;
      prune_daily_files(base_, retention_);  // failures were reported at start; a full disk must not stop logging
    }
    file_.log(msg);
    if (file_.filename() != current_) restrict_current();  // a new day's file
  }
  void flush_() override { file_.flush(); }
  void set_pattern_(const std::string& pattern) override { file_.set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> f) override { file_.set_formatter(std::move(f)); }

 private:
  // Log files are the gateway's and its administrators' only: 0640.
  void restrict_current() {
    current_ = file_.filename();
    std::error_code ec;
    fs::permissions(current_, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read, ec);
  }

  fs::path base_;
  std::chrono::seconds retention_;
  spdlog::sinks::daily_file_sink_st file_;
  std::int64_t day_ = day_of(std::chrono::system_clock::now());
  std::string current_;
};

}  // namespace

bool is_daily_file(const fs::path& base, const fs::path& candidate) {
  if (candidate.parent_path() != base.parent_path()) return false;
  std::string stem = base.stem().string(), ext = base.extension().string();
  std::string name = candidate.filename().string();
  if (name.size() != stem.size() + 11 + ext.size() || !name.starts_with(stem) || !name.ends_with(ext))
    return false;
  return date_suffix(std::string_view(name).substr(stem.size(), 11));
}

Pruned prune_daily_files(const fs::path& base, std::chrono::seconds retention, fs::file_time_type now) {
  Pruned pruned;
  std::error_code ec;
  fs::directory_iterator folder(base.parent_path(), ec);
  if (ec) pruned.failures.push_back("cannot list " + base.parent_path().string() + ": " + ec.message());
  for (const auto& entry : folder) {
    std::error_code entry_ec;
    if (!is_daily_file(base, entry.path()) || !entry.is_regular_file(entry_ec)) continue;
    auto written = entry.last_write_time(entry_ec);
    if (entry_ec || written >= now - retention) continue;
    if (fs::remove(entry.path(), entry_ec)) pruned.removed.push_back(entry.path());
    else pruned.failures.push_back("cannot remove " + entry.path().string() + ": " + entry_ec.message());
  }
  return pruned;
}

Result<spdlog::sink_ptr> daily_file_sink(const fs::path& base, std::chrono::seconds retention, Pruned* first_pass) {
  std::error_code ec;
  if (fs::create_directories(base.parent_path(), ec))
    fs::permissions(base.parent_path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, ec);
  Pruned pruned = prune_daily_files(base, retention);
  if (first_pass) *first_pass = std::move(pruned);
  try {
    return std::make_shared<RetainedDailySink>(base, retention);
  } catch (const spdlog::spdlog_ex& e) {
    return local_error("cannot open the log file " + base.string() + ": " + e.what());
  }
}

}  // namespace sm::log
