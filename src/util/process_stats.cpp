// process_stats.cpp - /proc/self/stat, /proc/self/fd and getrlimit for
// process_stats.h.
#include "util/process_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sm {
namespace {

// Seconds since the epoch at boot, from /proc/stat "btime".
double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats s;
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (std::getline(in, line)) {
    // Fields after the command name in parentheses (which may hold spaces):
    // 3 state ... 14 utime 15 stime ... 22 starttime 23 vsize 24 rss.
    auto close = line.rfind(')');
    std::istringstream fields(close == std::string::npos ? std::string() : line.substr(close + 2));
    std::string f;
    double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    for (int n = 3; fields >> f; ++n) {
      if (n == 14) s.cpu_seconds = std::stod(f) / ticks;
      if (n == 15 && s.cpu_seconds >= 0) s.cpu_seconds += std::stod(f) / ticks;
      if (n == 22 && boot_time() >= 0) s.start_time = boot_time() + std::stod(f) / ticks;
      if (n == 24) {
        s.resident_bytes = std::stod(f) * page;
        break;
      }
    }
  }
  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  if (!ec) s.open_fds = fds;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) s.max_fds = static_cast<double>(lim.rlim_cur);
  return s;
}

}  // namespace sm
