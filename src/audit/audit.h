// audit.h - the audit trail: append-only, hash-chained records of what
// operators and the gateway did that must be answerable later (interception
// orders and copies now; admin API writes, console sign-ins, key changes in
// issue 16). DATA/audit.sqlite (WAL).
//
// Each entry carries the SHA-256 of the previous entry and its own hash
// over (seq, at, actor, action, object, reference, details, prev); SQLite
// triggers refuse UPDATE and DELETE. verify() recomputes the chain and
// names the first entry that does not match.
//
// Retention (prune()): entries older than a cut-off are removed behind a
// checkpoint (seq and hash of the last removed entry). The checkpoint is
// itself an entry of the chain ("audit.pruned"), so verify() starts from the
// checkpoint and refuses one that does not match the chain's own record.
// With an address key set, append() writes every local@domain in object and
// details as the log's keyed hash (util/log_privacy.h).
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

// The exact text an entry's hash covers: "NAME LENGTH:VALUE\n" for seq,
// at, actor, action, object, reference, details, prev (LENGTH in octets).
std::string hashed_text(const Entry& e);

class AuditTrail {
 public:
  static Result<std::unique_ptr<AuditTrail>> open(const std::filesystem::path& data_dir);
  ~AuditTrail();
  // Appends atomically (one transaction): the returned entry has seq and hash.
  Result<Entry> append(std::string_view actor, std::string_view action, std::string_view object,
                       std::string_view reference, std::string_view details_json, std::int64_t at);
  // What append() takes, for append_all().
  struct Record {
    std::string actor, action, object, reference, details_json;
    std::int64_t at = 0;
  };
  // Appends every record in one transaction (the appender's batches).
  Result<std::size_t> append_all(const std::vector<Record>& records);
  // Addresses in object and details written as log::address_hash under this
  // key from now on; "" writes them plain.
  void hash_addresses_with(std::string key);
  // The form an address takes in entries now: itself, or its hash.
  std::string stored_address(std::string_view address) const;
  // Removes the entries older than before (unix seconds) behind a chained
  // checkpoint; the number removed (0: nothing old enough).
  Result<std::size_t> prune(std::int64_t before, std::int64_t now);
  struct Checkpoint {
    std::int64_t seq = 0;   // the last removed entry; 0: nothing removed
    std::string hash;       // its hash; 64 zeros when nothing removed
  };
  Result<Checkpoint> checkpoint() const;
  struct Filter {
    std::string action_prefix;  // "intercept." ; "" any
    std::string reference;
    std::int64_t since = 0;
    std::size_t limit = 1000;
    std::int64_t until = 0;     // entries before this; 0 no bound
    std::vector<std::string> objects;  // any of these objects; empty any
    std::int64_t after_seq = 0;  // entries after this seq (paging)
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
