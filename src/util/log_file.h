// log_file.h - the daily log file ([log] file) and its retention.
//
// spdlog's daily file sink writes "BASE_YYYY-MM-DD.EXT" (a new file at
// local midnight); its max_files counts files, which is not a time, so
// retention is enforced here by age instead: at start and again at the
// first line of every new day, each daily file of this log whose last
// write is older than the retention is deleted. Other files in the folder
// are never touched.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/sinks/sink.h>

#include "util/error.h"

namespace sm::log {

// The daily files of the log at base (base itself is never written).
bool is_daily_file(const std::filesystem::path& base, const std::filesystem::path& candidate);

// What one pass of the retention did.
struct Pruned {
  std::vector<std::filesystem::path> removed;
  std::vector<std::string> failures;  // "cannot remove FILE: reason"
};

// Deletes the daily files of base last written before now - retention.
Pruned prune_daily_files(const std::filesystem::path& base, std::chrono::seconds retention,
                         std::filesystem::file_time_type now = std::filesystem::file_time_type::clock::now());

// A sink writing the daily files of base and keeping them for retention;
// the first pass of the retention has been made when it returns (its
// result in *first_pass). An error when the file cannot be opened.
Result<spdlog::sink_ptr> daily_file_sink(const std::filesystem::path& base, std::chrono::seconds retention,
                                         Pruned* first_pass);

}  // namespace sm::log
