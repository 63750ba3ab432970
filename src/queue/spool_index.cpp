// spool_index.cpp - live records per segment, deletion and compaction
// choices (see spool_index.h).
#include "queue/spool_index.h"

#include <algorithm>

namespace sm::queue {

IndexEntry* SpoolIndex::find(const std::string& id) {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

const IndexEntry* SpoolIndex::find(const std::string& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

void SpoolIndex::grow(const Loc& loc) {
  auto& s = segments_[loc.segment];
  s.size = std::max(s.size, loc.offset + loc.length);
}

void SpoolIndex::pin(const Loc& loc) {
  auto& s = segments_[loc.segment];
  s.live += loc.length;
  ++s.pins;
}

void SpoolIndex::unpin(Loc& loc) {
  if (loc.segment == 0) return;
  auto it = segments_.find(loc.segment);
  if (it != segments_.end()) {
    it->second.live -= std::min(it->second.live, loc.length);
    if (it->second.pins > 0) --it->second.pins;
  }
  loc = Loc{};
}

IndexEntry& SpoolIndex::add_message(const std::string& id, IndexEntry entry, Loc loc) {
  grow(loc);
  if (auto* old = find(id)) {
    unpin(old->message);
    unpin(old->state_record);
    unpin(old->hold_record);
  }
  entry.message = loc;
  entry.state_record = entry.hold_record = Loc{};
  pin(loc);
  return entries_.insert_or_assign(id, std::move(entry)).first->second;
}

bool SpoolIndex::place(RecordType type, const std::string& id, Loc loc) {
  grow(loc);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  IndexEntry& e = it->second;
  switch (type) {
    case RecordType::state:
      unpin(e.state_record);
      e.state_record = loc;
      pin(loc);
      return true;
    case RecordType::hold:
    case RecordType::release:
      unpin(e.hold_record);
      e.hold_record = loc;
      pin(loc);
      return true;
    case RecordType::done:
      if (e.message.segment != loc.segment) segments_[loc.segment].buried.push_back(e.message.segment);
      unpin(e.message);
      unpin(e.state_record);
      unpin(e.hold_record);
      entries_.erase(it);
      return true;
    default:
      return false;
  }
}

void SpoolIndex::saw_segment(std::uint64_t segment, std::uint64_t size) {
  auto& s = segments_[segment];
  s.size = std::max(s.size, size);
}

std::vector<std::uint64_t> SpoolIndex::deletable(std::uint64_t head) const {
  std::vector<std::uint64_t> out;
  for (const auto& [n, s] : segments_) {
    if (n >= head || s.pins > 0) continue;
    bool buries_live = false;
    for (auto b : s.buried) buries_live |= b != n && segments_.count(b) && std::find(out.begin(), out.end(), b) == out.end();
    if (!buries_live) out.push_back(n);
  }
  return out;
}

void SpoolIndex::forget_segment(std::uint64_t segment) { segments_.erase(segment); }

std::optional<std::uint64_t> SpoolIndex::compaction_candidate(std::uint64_t head) const {
  for (const auto& [n, s] : segments_)
    if (n < head && s.pins > 0 && s.live * 4 < s.size) return n;
  return std::nullopt;
}

std::vector<std::string> SpoolIndex::messages_in(std::uint64_t segment) const {
  std::vector<std::string> out;
  for (const auto& [id, e] : entries_)
    if (!e.removed && (e.message.segment == segment || e.state_record.segment == segment ||
                       e.hold_record.segment == segment))
      out.push_back(id);
  return out;
}

}  // namespace sm::queue
