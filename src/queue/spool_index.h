// spool_index.h - the Spool's in-memory index: every queued message (its
// envelope, delivery state, hold flag) and where its records are in the
// segment log, plus how much of each segment is still live.
//
// A segment is live while it holds a record that is the latest of its kind
// for a queued message: the message record, its latest state record, its
// latest hold/release record. A segment with none is deleted once no
// later tombstone ("done") refers to an older segment that still exists
// (a tombstone deleted before the message it buries would bring it back).
// A closed segment with little live data left is compacted: its live
// messages are copied to the head and it is deleted.
//
// No I/O here; the Spool holds its mutex around every call.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mail/envelope.h"
#include "queue/queue_file.h"
#include "queue/segment_record.h"

namespace sm::queue {

// A record's place: segment 0 means none.
struct Loc {
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;  // of the record header
  std::uint64_t length = 0;  // header and payload
};

struct IndexEntry {
  mail::Envelope envelope;  // envelope.size: octets of the message
  DeliveryState state;
  bool held = false;
  bool removed = false;  // done, the tombstone not yet written
  Loc message, state_record, hold_record;
  std::uint64_t head_length = 0;  // of the envelope block in the message record
  std::shared_ptr<const std::string> octets;  // the message, while in memory
  std::uint64_t body_offset() const { return message.offset + kRecordHeaderSize + head_length; }
};

class SpoolIndex {
 public:
  struct SegmentUse {
    std::uint64_t size = 0;  // octets of records seen
    std::uint64_t live = 0;  // octets of live records
    std::size_t pins = 0;    // live records
    std::vector<std::uint64_t> buried;  // segments whose messages tombstones here bury
  };

  IndexEntry* find(const std::string& id);
  const IndexEntry* find(const std::string& id) const;
  // A message record at loc: the entry replaces any earlier one of the id
  // (a compacted copy); its state and hold records start over.
  IndexEntry& add_message(const std::string& id, IndexEntry entry, Loc loc);
  // A state, hold, release or done record at loc for a queued id: the
  // latest of its kind. Done forgets the entry. Unknown ids: the record is
  // dead weight (false).
  bool place(RecordType type, const std::string& id, Loc loc);
  // A segment the scan found (records counted as they are placed).
  void saw_segment(std::uint64_t segment, std::uint64_t size);
  // Segments that can be deleted now, oldest first (never `head`).
  std::vector<std::uint64_t> deletable(std::uint64_t head) const;
  void forget_segment(std::uint64_t segment);
  // A closed segment worth compacting (live under a quarter), if any.
  std::optional<std::uint64_t> compaction_candidate(std::uint64_t head) const;
  // Queued ids whose message record is in the segment.
  std::vector<std::string> messages_in(std::uint64_t segment) const;

  const std::map<std::string, IndexEntry>& entries() const { return entries_; }
  const std::map<std::uint64_t, SegmentUse>& segments() const { return segments_; }

 private:
  void pin(const Loc& loc);
  void unpin(Loc& loc);
  void grow(const Loc& loc);

  std::map<std::string, IndexEntry> entries_;  // ids are time-ordered: oldest first
  std::map<std::uint64_t, SegmentUse> segments_;
};

}  // namespace sm::queue
