// source.h - a message the engine can read more than once (the header
// block is read first, then the whole message is streamed): a file on disk
// (a spool file, a CLI argument) or bytes in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "pki/openssl.h"
#include "util/error.h"

namespace sm::smime {

class MessageSource {
 public:
  // `offset`: where the RFC 5322 message starts in the file (a spool file
  // may carry an envelope before it).
  static MessageSource file(std::filesystem::path path, std::uint64_t offset = 0);
  static MessageSource memory(std::string bytes);

  // A fresh read BIO positioned at the start of the message. For a memory
  // source the BIO reads the source's bytes in place: it must not outlive
  // every copy of this source (copies share the bytes; moving is safe).
  Result<ossl::BioPtr> open() const;
  // Up to `max` octets from the start (for the header block).
  Result<std::string> head(std::size_t max) const;
  // The message size in octets (file size minus offset).
  Result<std::uint64_t> size() const;
  // For messages and errors: the file name, or "(memory)".
  std::string name() const;

 private:
  std::filesystem::path path_;
  std::uint64_t offset_ = 0;
  std::shared_ptr<const std::string> bytes_;  // shared: copies stay cheap, BIOs stay valid on move
  bool in_memory_ = false;
};

// Convert bare LF to CRLF (and leave CRLF alone): the canonical form that
// S/MIME signs. The CLI applies it to files and stdin; SMTP input already is.
std::string canonicalize_crlf(std::string_view text);

}  // namespace sm::smime
