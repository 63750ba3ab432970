// alerts_section.cpp - [alerts]: the thresholds of the gateway's own
// alerts (docs/operations.md "Alerts").
//
//   certificate_days   = 30    a certificate expires within this many days (1..3650)
//   peer_unreachable   = "1h"  no connection to a peer worked for this long (>= 1m)
//   spool_disk_percent = 80    the queue's file system fuller than this (1..99)
#include "config/loader.h"

namespace sm::config::detail {

void Loader::read_alerts(Section& root, Config& c) {
  Section s = section(root, "alerts");
  auto days = count(s, "certificate_days", 30, 1);
  if (days > 3650) error(line_of(key(s, "certificate_days")), key(s, "certificate_days"), "must be at most 3650");
  else c.alerts.certificate_days = static_cast<std::int64_t>(days);
  auto unreachable = duration(s, "peer_unreachable", "1h");
  if (unreachable < std::chrono::minutes(1))
    error(line_of(key(s, "peer_unreachable")), key(s, "peer_unreachable"), "must be at least 1m");
  else c.alerts.peer_unreachable = unreachable;
  auto percent = count(s, "spool_disk_percent", 80, 1);
  if (percent > 99) error(line_of(key(s, "spool_disk_percent")), key(s, "spool_disk_percent"), "must be at most 99");
  else c.alerts.spool_disk_percent = static_cast<int>(percent);
  finish(s);
}

std::string describe_alerts(const Config& c) {
  return "alerts.certificate_days = " + std::to_string(c.alerts.certificate_days) + "\n" +
         "alerts.peer_unreachable = " + quote(format_duration(c.alerts.peer_unreachable)) + "\n" +
         "alerts.spool_disk_percent = " + std::to_string(c.alerts.spool_disk_percent) + "\n";
}

}  // namespace sm::config::detail
