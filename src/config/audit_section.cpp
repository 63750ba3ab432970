// audit_section.cpp - [audit]: how long the audit trail keeps entries and
// how it writes addresses (docs/audit.md).
//
//   retention = "400d"               entries older are pruned (at start and
//                                    daily, behind a chained checkpoint); "0": forever
//   addresses = "plain" | "hashed"   default: as [log] addresses; hashed is
//                                    the log's keyed hash (DATA/log.key)
#include "config/loader.h"

namespace sm::config {

bool Config::audit_hashes_addresses() const {
  return audit.addresses.value_or(log.addresses) == LogPrivacy::Addresses::hashed;
}

namespace detail {

void Loader::read_audit(Section& root, Config& c) {
  Section s = section(root, "audit");
  std::size_t before = errors_.size();
  std::string retention = text(s, "retention", "400d");
  if (errors_.size() == before) {
    if (retention == "0") {
      c.audit.retention = std::chrono::seconds(0);
    } else if (auto d = parse_duration(retention); !d) {
      error(line_of("audit.retention"), "audit.retention",
            "bad value " + quote(retention) + ": " + d.error() + " (e.g. \"400d\", or \"0\" to keep forever)");
    } else if (d->count() < 86400) {
      error(line_of("audit.retention"), "audit.retention", "must be at least 1d, or \"0\" to keep forever");
    } else {
      c.audit.retention = *d;
    }
  }
  before = errors_.size();
  std::string addresses = text(s, "addresses", "");
  if (errors_.size() == before && !addresses.empty()) {
    if (addresses == "plain") c.audit.addresses = LogPrivacy::Addresses::plain;
    else if (addresses == "hashed") c.audit.addresses = LogPrivacy::Addresses::hashed;
    else error(line_of("audit.addresses"), "audit.addresses", "bad value " + quote(addresses) + " (use plain or hashed)");
  }
  finish(s);
}

std::string describe_audit(const Config& c) {
  std::string o = "audit.retention = " +
                  quote(c.audit.retention.count() == 0 ? "0" : format_duration(c.audit.retention)) +
                  (c.audit.retention.count() == 0 ? "  # kept forever" : "") + "\n";
  // The comment follows the value, not whether it was written, so a
  // described config loads back to the same description.
  const bool hashed = c.audit_hashes_addresses();
  const bool log_hashed = c.log.addresses == LogPrivacy::Addresses::hashed;
  o += "audit.addresses = " + quote(hashed ? "hashed" : "plain") + (hashed == log_hashed ? "  # as [log] addresses" : "") + "\n";
  return o;
}

}  // namespace detail
}  // namespace sm::config
