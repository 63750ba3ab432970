// log_section.cpp - [log]: the privacy of the operational log
// (docs/privacy.md).
//
//   addresses = "plain" | "hashed"   hashed: <h:HEX@domain>, keyed (DATA/log.key)
//   subjects  = false                the Subject only through log::subject_field()
//   file      = ""                   also write daily files here (relative to
//                                    the config file's folder); "" : stderr only
//   retention = "30d"                daily files older than this are deleted (>= 1d)
//   syslog    = ""                   also to this local syslog socket ("/dev/log")
//   syslog_facility = "mail"         mail, daemon, user, local0..local7
//
// The root key log_level stays where it is (config.cpp).
#include "config/loader.h"
#include "util/log_syslog.h"

namespace sm::config {
namespace {

constexpr std::chrono::seconds kMinLogRetention{86400};  // files are per day

}  // namespace

namespace detail {

void Loader::read_log(Section& root, Config& c) {
  Section s = section(root, "log");
  std::string addresses = text(s, "addresses", "plain");
  if (addresses == "plain") c.log.addresses = LogPrivacy::Addresses::plain;
  else if (addresses == "hashed") c.log.addresses = LogPrivacy::Addresses::hashed;
  else error(line_of("log.addresses"), "log.addresses", "bad value " + quote(addresses) + " (use plain or hashed)");
  c.log.subjects = flag(s, "subjects", false);
  std::size_t before = errors_.size();
  std::string file = text(s, "file", "");
  if (errors_.size() == before && !file.empty()) {
    c.log.file = resolve(base_, file);
    if (!c.log.file.has_filename() || c.log.file.filename() == "." || c.log.file.filename() == "..")
      error(line_of("log.file"), "log.file", "names a folder, not a file: " + quote(file));
  }
  std::chrono::seconds retention = duration(s, "retention", "30d");
  if (retention < kMinLogRetention)
    error(line_of("log.retention"), "log.retention", "must be at least 1d (log files are kept per day)");
  else c.log.retention = retention;
  c.log.syslog = text(s, "syslog", "");
  if (!c.log.syslog.empty() && !c.log.syslog.starts_with("/"))
    error(line_of("log.syslog"), "log.syslog", "must be the absolute path of a socket, like \"/dev/log\"");
  else if (c.log.syslog.size() >= 108)
    error(line_of("log.syslog"), "log.syslog", "socket path longer than 107 octets");
  c.log.syslog_facility = text(s, "syslog_facility", "mail");
  if (!log::syslog_facility(c.log.syslog_facility))
    error(line_of("log.syslog_facility"), "log.syslog_facility",
          "bad value " + quote(c.log.syslog_facility) + " (use mail, daemon, user or local0..local7)");
  finish(s);
}

std::string describe_log(const Config& c) {
  bool hashed = c.log.addresses == LogPrivacy::Addresses::hashed;
  std::string o = "log.addresses = " + quote(hashed ? "hashed" : "plain") +
                  (hashed ? "  # <h:HEX@domain>, key in DATA/log.key" : "") + "\n";
  o += std::string("log.subjects = ") + (c.log.subjects ? "true" : "false") + "\n";
  o += "log.file = " + quote(c.log.file.string()) + (c.log.file.empty() ? "  # stderr only" : "") + "\n";
  o += "log.retention = " + quote(format_duration(c.log.retention)) + "\n";
  o += "log.syslog = " + quote(c.log.syslog) + (c.log.syslog.empty() ? "  # not to syslog" : "") + "\n";
  o += "log.syslog_facility = " + quote(c.log.syslog_facility) + "\n";
  return o + describe_audit(c);  // [audit] follows [log] (audit_section.cpp)
}

}  // namespace detail
}  // namespace sm::config
