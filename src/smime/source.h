// source.h - a message the engine can read more than once (the header
// block is read first, then the whole message is streamed): a file on disk
// (a spool file, a CLI argument), bytes in memory, or an open descriptor
// (open()'s scratch file of decrypted content). Any of them can be cut to
// a slice (a MIME part, the body after the header) that reads like a
// message of its own, so open() can hand parts around without copying.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "pki/openssl.h"
#include "util/error.h"

namespace sm::smime {

// An open file descriptor, closed when its last owner lets go.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor();
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class MessageSource {
 public:
  // `offset`: where the RFC 5322 message starts in the file (a spool file
  // may carry an envelope before it).
  static MessageSource file(std::filesystem::path path, std::uint64_t offset = 0);
  static MessageSource memory(std::string bytes);
  // The first `size` octets of an open file (read with pread, so any number
  // of readers and one appending writer may share the descriptor).
  static MessageSource descriptor(std::shared_ptr<const FileDescriptor> fd, std::uint64_t size);

  // Octets [begin, end) of this source as a source of its own (clamped to
  // its size). Shares the bytes or the file; nothing is copied.
  MessageSource slice(std::uint64_t begin, std::uint64_t end) const;

  // A fresh read BIO positioned at the start of the message. For a memory
  // source the BIO reads the source's bytes in place: it must not outlive
  // every copy of this source (copies share the bytes; moving is safe).
  Result<ossl::BioPtr> open() const;
  // Up to `max` octets from the start (for the header block).
  Result<std::string> head(std::size_t max) const;
  // The message size in octets (file size minus offset, or the slice's).
  Result<std::uint64_t> size() const;
  // For messages and errors: the file name, or "(memory)".
  std::string name() const;

 private:
  static constexpr std::uint64_t kToEnd = UINT64_MAX;

  std::filesystem::path path_;
  std::uint64_t offset_ = 0;
  std::uint64_t length_ = kToEnd;             // a file read to its end, or a slice's length
  std::shared_ptr<const std::string> bytes_;  // shared: copies stay cheap, BIOs stay valid on move
  std::shared_ptr<const FileDescriptor> fd_;  // a descriptor source
  bool in_memory_ = false;
};

// Convert bare LF to CRLF (and leave CRLF alone): the canonical form that
// S/MIME signs. The CLI applies it to files and stdin; SMTP input already is.
std::string canonicalize_crlf(std::string_view text);

}  // namespace sm::smime
