// export.cpp - `audit export` as JSON Lines (see export.h). details is
// exported as the exact text that was hashed (a JSON string), so a checker
// hashes what it reads without re-serialising anything.
#include "audit/export.h"

#include "audit/json_text.h"

namespace sm::audit {

std::string export_line(const Entry& e) {
  return "{\"seq\":" + std::to_string(e.seq) + ",\"at\":" + std::to_string(e.at) + ",\"actor\":" + json_string(e.actor) +
         ",\"action\":" + json_string(e.action) + ",\"object\":" + json_string(e.object) +
         ",\"reference\":" + json_string(e.reference) + ",\"details\":" + json_string(e.details) +
         ",\"prev_hash\":" + json_string(e.prev_hash) + ",\"hash\":" + json_string(e.hash) + "}";
}

Result<std::size_t> export_jsonl(const AuditTrail& trail, std::int64_t since, std::int64_t until, std::ostream& out) {
  constexpr std::size_t kPage = 1000;
  std::size_t written = 0;
  std::int64_t after = 0;  // the last seq written
  for (;;) {
    AuditTrail::Filter page;
    page.since = since;
    page.until = until;
    page.after_seq = after;
    page.limit = kPage;
    auto entries = trail.list(page);
    if (!entries) return std::unexpected(entries.error());
    for (const auto& e : *entries) {
      if (written == 0 && e.seq > 1)
        out << "{\"checkpoint\":{\"seq\":" << e.seq - 1 << ",\"hash\":" << json_string(e.prev_hash) << "}}\n";
      out << export_line(e) << "\n";
      ++written;
      after = e.seq;
    }
    if (entries->size() < kPage) break;
  }
  out.flush();
  if (!out) return local_error("audit export: cannot write the export");
  return written;
}

}  // namespace sm::audit
