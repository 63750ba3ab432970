// selftest_section.cpp - [selftest]: the schedule of the gateway's own
// self-test (docs/certification.md "Self-test").
//
//   enabled     = true
//   interval    = "24h"  between runs (>= 1m)
//   first_after = "10m"  the first run after start (>= 1s)
//   sample      = 3      members pinged besides the facility (0..50)
//   timeout     = "15m"  how long a run waits for the pongs (>= 5s, below interval)
//   ping_limit  = 20     pongs our test agent sends to one member per hour (>= 1)
#include "config/loader.h"

namespace sm::config::detail {

void Loader::read_selftest(Section& root, Config& c) {
  Section s = section(root, "selftest");
  auto& t = c.selftest;
  t.enabled = flag(s, "enabled", true);
  auto interval = duration(s, "interval", "24h");
  if (interval < std::chrono::minutes(1)) error(line_of(key(s, "interval")), key(s, "interval"), "must be at least 1m");
  else t.interval = interval;
  auto first = duration(s, "first_after", "10m");
  if (first < std::chrono::seconds(1)) error(line_of(key(s, "first_after")), key(s, "first_after"), "must be at least 1s");
  else t.first_after = first;
  auto sample = count(s, "sample", 3, 0);
  if (sample > 50) error(line_of(key(s, "sample")), key(s, "sample"), "must be at most 50");
  else t.sample = sample;
  auto timeout = duration(s, "timeout", "15m");
  if (timeout < std::chrono::seconds(5)) error(line_of(key(s, "timeout")), key(s, "timeout"), "must be at least 5s");
  else if (timeout >= t.interval)
    error(line_of(key(s, "timeout")), key(s, "timeout"), "must be shorter than selftest.interval");
  else t.timeout = timeout;
  t.ping_limit = count(s, "ping_limit", 20, 1);
  finish(s);
}

std::string describe_selftest(const Config& c) {
  const auto& t = c.selftest;
  return std::string("selftest.enabled = ") + (t.enabled ? "true" : "false") + "\n" +
         "selftest.interval = " + quote(format_duration(t.interval)) + "\n" +
         "selftest.first_after = " + quote(format_duration(t.first_after)) + "\n" +
         "selftest.sample = " + std::to_string(t.sample) + "\n" +
         "selftest.timeout = " + quote(format_duration(t.timeout)) + "\n" +
         "selftest.ping_limit = " + std::to_string(t.ping_limit) + "\n";
}

}  // namespace sm::config::detail
