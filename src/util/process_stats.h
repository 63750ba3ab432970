// process_stats.h - what the standard Prometheus process_* metrics report,
// read from /proc/self (Linux): CPU time, resident memory, open and
// maximum file descriptors, start time. Fields a kernel does not offer
// stay negative and are left out of /metrics.
#pragma once

namespace sm {

struct ProcessStats {
  double cpu_seconds = -1;     // user + system
  double resident_bytes = -1;
  double open_fds = -1;
  double max_fds = -1;         // the soft RLIMIT_NOFILE
  double start_time = -1;      // unix seconds
};

ProcessStats read_process_stats();

}  // namespace sm
