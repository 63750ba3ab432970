// audit.h - the audit trail: append-only, hash-chained records of what
// operators and the gateway did that must be answerable later (interception
// orders and copies now; admin API writes, console sign-ins, key changes in
// issue 16). DATA/audit.sqlite (WAL).
//
// Each entry carries the SHA-256 of the previous entry and its own hash
// over (seq, at, actor, action, object, reference, details, prev); SQLite
// triggers refuse UPDATE and DELETE. verify() recomputes the chain and
// names the first entry that does not match.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"

namespace sm::audit {

struct Entry {
  std::int64_t seq = 0;
  std::int64_t at = 0;      // unix seconds
  std::string actor;        // "operator:alice", "gateway", "api-token:ops"
  std::string action;       // "intercept.order.add", "intercept.copy", ...
  std::string object;       // what it acted on: an address, a queue id
  std::string reference;    // an order's reference, a ticket; may be ""
  std::string details;      // JSON object text
  std::string prev_hash, hash;  // hex
};

class AuditTrail {
 public:
  static Result<std::unique_ptr<AuditTrail>> open(const std::filesystem::path& data_dir);
  ~AuditTrail();
  // Appends atomically (one transaction): the returned entry has seq and hash.
  Result<Entry> append(std::string_view actor, std::string_view action, std::string_view object,
                       std::string_view reference, std::string_view details_json, std::int64_t at);
  struct Filter {
    std::string action_prefix;  // "intercept." ; "" any
    std::string reference;
    std::int64_t since = 0;
    std::size_t limit = 1000;
  };
  Result<std::vector<Entry>> list(const Filter& filter) const;
  // The first broken link, or nothing when the chain holds.
  Result<std::optional<std::string>> verify() const;

 private:
  struct Impl;
  explicit AuditTrail(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sm::audit
