// doctor_checks.h - the checks `securemail doctor` runs on a configured
// gateway, split by area (doctor_checks_keys.cpp: files, keys,
// certificates, disk; doctor_checks_net.cpp: listeners, DNS;
// doctor_checks_directory.cpp: the directory copy and the member peers).
// Each check appends one line or more: OK / WARN / FAIL, what it found,
// and for a problem how to fix it. Checks never write into the data
// folder and never bind a port they keep.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace sm::app {

struct DoctorCheck {
  enum class Status { ok, warn, fail };
  std::string name;    // "tls", "listen.relay", "dns a.example", ...
  Status status = Status::ok;
  std::string detail;  // what was found
  std::string fix;     // how to fix it; empty for OK
};
using DoctorReport = std::vector<DoctorCheck>;

std::string_view to_string(DoctorCheck::Status status);  // "OK", "WARN", "FAIL"

// Certificate expiry: FAIL expired, WARN fewer than 30 days left, else OK.
DoctorCheck expiry_check(std::string name, std::string what, std::int64_t not_after, std::int64_t now);
// Used share of a file system: WARN above 80%, FAIL above 95%.
// warn_percent: [alerts] spool_disk_percent, so doctor and the alert agree.
DoctorCheck disk_check(const std::string& name, std::uint64_t total, std::uint64_t available, int warn_percent = 80);

// doctor_checks_keys.cpp
void check_files(const config::Config& config, DoctorReport& report);
void check_tls(const config::Config& config, DoctorReport& report);
void check_key_sets(const config::Config& config, DoctorReport& report);
void check_disk(const config::Config& config, DoctorReport& report);
// doctor_checks_net.cpp; running: the gateway holds its data folder lock.
void check_listeners(const config::Config& config, bool running, DoctorReport& report);
void check_dns(const config::Config& config, DoctorReport& report);
// TCP connections to each "host:port" at once, each given up after
// `timeout`: "" for one that connected, else why not.
std::vector<std::string> try_connect(const std::vector<config::Endpoint>& targets, std::chrono::milliseconds timeout);
// doctor_checks_directory.cpp
void check_directory(const config::Config& config, DoctorReport& report);

}  // namespace sm::app
