// export.h - the audit trail as JSON Lines for someone outside the gateway
// (`securemail audit export`): one entry per line with every hashed field,
// its prev_hash and hash, so the chain can be re-checked from the export
// alone (the recipe in docs/audit.md). When the first entry exported is not
// entry 1 (pruned, or --since), the first line names what it follows:
// {"checkpoint":{"seq":N,"hash":H}}; compare H with an earlier export or the
// gateway's `audit verify` to anchor it.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "audit/audit.h"
#include "util/error.h"

namespace sm::audit {

// One JSON line (no newline) for an entry.
std::string export_line(const Entry& e);

// Writes the entries with since <= at < until (until 0: no bound), oldest
// first, preceded by the checkpoint line when the first is not entry 1.
// The number of entries written.
Result<std::size_t> export_jsonl(const AuditTrail& trail, std::int64_t since, std::int64_t until, std::ostream& out);

}  // namespace sm::audit
