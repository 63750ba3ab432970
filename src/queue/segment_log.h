// segment_log.h - the files of the queue's append-only log (format in
// segment_record.h): numbered segments in QUEUE/segments, one head segment
// written at a time, appends of a whole batch of records with one
// pwritev(2), one fdatasync(2) per segment written, rotation at a size
// bound, deletion of segments nothing refers to, and the scan that reads
// a segment back at start-up.
//
// A segment name is 16 hex digits and ".log"; numbers only grow. Creating
// or deleting a segment is followed by an fsync of the folder; appending is
// not (fdatasync covers the file's size).
//
// It knows nothing of messages: the Spool gives it records and keeps the
// index. It must never leave a half-written batch behind a later one: a
// failed write or sync truncates every segment of the batch back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "queue/segment_record.h"
#include "util/error.h"

namespace sm::queue {

// A queue I/O failure as an SMTP error: disk full or quota 452 4.3.1, other
// errors 451 4.3.0 naming what failed and errno's text.
Error io_error(const std::string& what, int err);


// Segments rotate when the next record would take the head past this size.
inline constexpr std::uint64_t kSegmentLimit = 64ull << 20;

// One record to append: its header, then payload parts from memory, then
// optionally body_length octets from the start of body_fd (a message that
// was spilled to a temporary file while it was received).
struct OutgoingRecord {
  std::string header;
  std::string_view head;
  std::string_view body;
  int body_fd = -1;
  std::uint64_t body_length = 0;
  std::uint64_t size() const { return header.size() + head.size() + body.size() + body_length; }
};

// Where a record was put.
struct RecordPlace {
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;  // of the header
};

class SegmentLog {
 public:
  // Opens the folder (which must exist) for appending: the head is a new
  // segment numbered after the highest present (old segments are never
  // appended to, so a torn tail stays behind its own end).
  static Result<std::unique_ptr<SegmentLog>> open(const std::filesystem::path& dir, std::uint64_t limit = kSegmentLimit);
  ~SegmentLog();
  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;

  // Append every record with as few writes as possible (one pwritev for
  // records in memory). durable: then make them, and anything appended
  // before without a sync, durable with one fdatasync per segment touched.
  // Not durable: the head stays dirty until the next durable append (a
  // segment rotated out is always synced). On any failure every segment
  // touched is truncated back to where the batch started in it, and the
  // error says why.
  Result<std::vector<RecordPlace>> append(const std::vector<OutgoingRecord>& records, bool durable);
  // Are there records in the head not synced yet?
  bool dirty() const { return dirty_; }

  // Delete a segment file (and fsync the folder).
  Result<void> remove(std::uint64_t segment);

  std::uint64_t head() const { return head_; }
  std::uint64_t head_size() const { return head_size_; }
  std::filesystem::path path(std::uint64_t segment) const { return segment_path(dir_, segment); }

  // Segment numbers present in dir, ascending.
  static std::vector<std::uint64_t> list(const std::filesystem::path& dir);
  static std::filesystem::path segment_path(const std::filesystem::path& dir, std::uint64_t segment);

 private:
  SegmentLog(std::filesystem::path dir, int dir_fd, std::uint64_t limit);
  Result<void> rotate();
  Result<void> write_record(const OutgoingRecord& r, std::uint64_t offset);

  std::filesystem::path dir_;
  int dir_fd_ = -1;
  std::uint64_t limit_;
  std::uint64_t head_ = 0;
  int head_fd_ = -1;
  std::uint64_t head_size_ = 0;
  bool dirty_ = false;
};

// What a scan found wrong in a segment.
struct DamagedRange {
  std::uint64_t offset = 0, length = 0;
};

struct SegmentScan {
  std::uint64_t valid_end = 0;        // end of the last intact record
  std::uint64_t file_size = 0;
  std::vector<DamagedRange> damaged;  // unreadable ranges followed by intact records
  // Damaged ranges are always followed by an intact record, so anything
  // after valid_end is a tail that was never completely written.
  bool torn_tail() const { return valid_end < file_size; }
};

// Reads every intact record of a segment in order and calls visit with its
// header, its offset and its payload. A record whose header, length or CRC
// does not check out is skipped up to the next intact record (a damaged
// range) or, when none follows, ends the scan (a torn tail).
using RecordVisitor = std::function<void(const RecordHeader&, std::uint64_t offset, std::string_view payload)>;
Result<SegmentScan> scan_segment(const std::filesystem::path& file, const RecordVisitor& visit);

}  // namespace sm::queue
