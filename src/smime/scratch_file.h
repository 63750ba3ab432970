// scratch_file.h - open()'s anonymous temporary file: the decrypted entity
// (and an opaque signature's content) is written here, never to the
// caller's output, until every check has passed.
//
// It has no name (O_TMPFILE, or mkstemp and an immediate unlink where the
// file system cannot do O_TMPFILE), so nothing is left behind whatever
// happens to the process; it is freed when the last reader lets go.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "pki/openssl.h"
#include "smime/source.h"
#include "util/error.h"

namespace sm::smime::detail {

class ScratchFile {
 public:
  // A new empty file in `folder` (empty: $TMPDIR, else /tmp).
  static Result<ScratchFile> create(const std::filesystem::path& folder);

  // Appends to the file (buffered; flush() before reading what it wrote).
  BIO* writer() const { return writer_.get(); }
  Result<> flush();
  // Octets written and flushed so far.
  std::uint64_t size() const { return size_; }
  // Octets [begin, end) as a message source (valid after this is gone).
  MessageSource contents(std::uint64_t begin, std::uint64_t end) const;

 private:
  std::shared_ptr<const FileDescriptor> fd_;
  ossl::BioPtr writer_;
  std::uint64_t size_ = 0;
};

}  // namespace sm::smime::detail
