// spool_open.cpp - opening the spool (see spool.h): the daemon's open,
// which creates what is missing, refuses a folder it cannot write, and
// recovers the log; and the queue command's open_existing, which creates
// nothing and, beside a running gateway, only reads.
//
// Recovery reads every segment in order and rebuilds the index. A record
// that does not check out at the end of the last segment is a torn write
// (never acknowledged): the segment is cut there. A damaged range anywhere
// else is copied to corrupt/ and logged loudly; its bytes stay in place.
// Both name the folder and the reason when it cannot be used, so an
// operator reads "DATA/queue/tmp: read-only file system", never a 451 at the
// first message or an empty queue made in the wrong place.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "queue/spool.h"
#include "util/log.h"

namespace fs = std::filesystem;

namespace sm::queue {

namespace {

constexpr const char* kSpoolFolders[] = {"tmp", "segments", "corrupt"};

// "FOLDER: reason" for a folder this process cannot use, or nullopt.
std::optional<std::string> unusable_folder(const fs::path& dir, int how) {
  if (::access(dir.c_str(), how) == 0) return std::nullopt;
  int e = errno;
  std::string why = e == EROFS    ? "read-only file system"
                    : e == EACCES ? "permission denied"
                    : e == ENOENT ? "does not exist"
                                  : std::strerror(e);
  return dir.string() + ": " + why;
}

bool legacy_layout(const fs::path& root) {
  std::error_code ec;
  return fs::is_directory(root / "active", ec) || fs::is_directory(root / "hold", ec);
}

// Keep the octets of [offset, offset+length) of a segment in corrupt/ (once).
void set_aside(const fs::path& root, const fs::path& segment, std::uint64_t offset, std::uint64_t length) {
  fs::path out = root / "corrupt" / (segment.stem().string() + "-" + std::to_string(offset) + ".bad");
  std::error_code ec;
  if (fs::exists(out, ec)) return;
  int in = ::open(segment.c_str(), O_RDONLY | O_CLOEXEC);
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (in >= 0 && fd >= 0) {
    loff_t from = static_cast<loff_t>(offset);
    while (length > 0) {
      ssize_t n = ::copy_file_range(in, &from, fd, nullptr, length, 0);
      if (n <= 0) break;
      length -= static_cast<std::uint64_t>(n);
    }
    ::fsync(fd);
  }
  if (in >= 0) ::close(in);
  if (fd >= 0) ::close(fd);
}

}  // namespace

Spool::Spool(fs::path root, std::unique_ptr<SegmentLog> log) : root_(std::move(root)), log_(std::move(log)) {}

// Rebuild the index from the segments. repair: cut a torn tail and set
// damaged ranges aside (the daemon); else only read (beside a running one).
Result<void> Spool::load_segments(bool repair) {
  fs::path dir = root_ / "segments";
  auto segments = SegmentLog::list(dir);
  for (std::size_t k = 0; k < segments.size(); ++k) {
    std::uint64_t n = segments[k];
    fs::path file = SegmentLog::segment_path(dir, n);
    auto visit = [&](const RecordHeader& h, std::uint64_t offset, std::string_view payload) {
      Loc loc{n, offset, kRecordHeaderSize + payload.size()};
      if (h.type != RecordType::message) {
        if (IndexEntry* e = index_.find(h.id)) {
          if (h.type == RecordType::state) {
            mail::Envelope env = e->envelope;
            DeliveryState st;
            if (!parse_state(payload, env, st)) return;  // checked by CRC: never happens
            e->envelope = std::move(env);
            e->state = st;
          }
          if (h.type == RecordType::hold || h.type == RecordType::release) e->held = h.type == RecordType::hold;
        }
        index_.place(h.type, h.id, loc);
        return;
      }
      std::uint64_t body_offset = 0;
      auto env = parse_envelope(payload, body_offset);
      if (!env || env->id != h.id) {
        log::error("{}: queue record in {} at {} has an unreadable envelope ({}); kept in corrupt/", h.id,
                   file.filename().string(), offset, env ? "another id" : env.error().text);
        if (repair) set_aside(root_, file, offset, loc.length);
        index_.saw_segment(n, offset + loc.length);
        return;
      }
      IndexEntry e;
      e.envelope = std::move(*env);
      e.envelope.size = payload.size() - body_offset;
      e.held = (h.flags & kFlagHeld) != 0;
      e.head_length = body_offset;
      index_.add_message(h.id, std::move(e), loc);
    };
    auto scan = scan_segment(file, visit);
    std::error_code ec;
    if (!scan && !repair && !fs::exists(file, ec)) continue;  // deleted by the running gateway meanwhile: all done
    if (!scan) return std::unexpected(scan.error());
    index_.saw_segment(n, scan->valid_end);
    for (const auto& d : scan->damaged) {
      ++recovery_.damaged_ranges;
      if (!repair) continue;  // beside a running gateway: it may be mid-write; the daemon reports damage
      log::error("queue: segment {} has {} unreadable octets at {} between intact records; copied to corrupt/, "
                 "messages in them cannot be delivered", file.filename().string(), d.length, d.offset);
      set_aside(root_, file, d.offset, d.length);
    }
    if (!scan->torn_tail()) continue;
    std::uint64_t tail = scan->file_size - scan->valid_end;
    bool last = k + 1 == segments.size();
    if (!repair) continue;  // a running gateway may be writing it right now
    if (last) {
      recovery_.torn_octets += tail;
      log::warn("queue: segment {} ends in {} octets of an incomplete write (never acknowledged); cut off",
                file.filename().string(), tail);
      if (::truncate(file.c_str(), static_cast<off_t>(scan->valid_end)) != 0)
        return local_error("cannot cut the torn end of " + file.string() + ": " + std::strerror(errno));
    } else {
      ++recovery_.damaged_ranges;
      log::error("queue: segment {} ends in {} unreadable octets; copied to corrupt/", file.filename().string(), tail);
      set_aside(root_, file, scan->valid_end, tail);
    }
  }
  return {};
}

Result<std::unique_ptr<Spool>> Spool::open(const fs::path& root, SyncMode) {
  std::error_code ec;
  for (const char* sub : kSpoolFolders) {
    fs::create_directories(root / sub, ec);
    if (ec) return local_error("cannot create queue folder " + (root / sub).string() + ": " + ec.message());
  }
  ::chmod(root.c_str(), 0700);
  // Large messages spill into tmp/, every commit appends to segments/,
  // recovery writes corrupt/. Find out now, not at the first message.
  for (const char* sub : kSpoolFolders)
    if (auto bad = unusable_folder(root / sub, W_OK | X_OK)) return local_error("queue folder not writable: " + *bad);
  auto log = SegmentLog::open(root / "segments");
  if (!log) return std::unexpected(log.error());
  std::unique_ptr<Spool> spool(new Spool(root, std::move(*log)));
  if (auto r = spool->load_segments(true); !r) return std::unexpected(r.error());
  spool->collect_garbage();
  spool->start_committer();
  if (legacy_layout(root)) {
    auto n = convert_legacy_spool(*spool);
    if (!n) return std::unexpected(n.error());
    spool->recovery_.converted = *n;
  }
  return spool;
}

Result<void> Spool::check_existing(const fs::path& root) {
  struct stat st {};
  int rc = ::stat(root.c_str(), &st);
  if (rc != 0 || !S_ISDIR(st.st_mode)) {
    int e = errno;
    std::string why = rc == 0        ? "not a folder"
                      : e == ENOTDIR ? "a parent folder is a file"
                      : e == ENOENT  ? "no such folder"
                                     : std::strerror(e);
    return local_error("no queue in " + root.string() + ": " + why);
  }
  std::error_code ec;
  if (!fs::is_directory(root / "segments", ec) && !legacy_layout(root))
    return local_error(root.string() + " is not a queue: segments/ is missing");
  return {};
}

Result<std::unique_ptr<Spool>> Spool::open_existing(const fs::path& root, Access access) {
  if (auto there = check_existing(root); !there) return std::unexpected(there.error());
  if (access == Access::read_write) return open(root);
  std::error_code ec;
  bool has_log = fs::is_directory(root / "segments", ec);
  if (!has_log)
    return local_error(root.string() + " is a queue of an older version; it is converted when the gateway starts");
  if (auto bad = unusable_folder(root / "segments", R_OK | X_OK)) return local_error("cannot read the queue: " + *bad);
  std::unique_ptr<Spool> spool(new Spool(root, nullptr));
  if (auto r = spool->load_segments(false); !r) return std::unexpected(r.error());
  return spool;
}

}  // namespace sm::queue
