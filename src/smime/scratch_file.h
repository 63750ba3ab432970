// scratch_file.h - open()'s holding place for the decrypted entity (and an
// opaque signature's content): written here, never to the caller's
// output, until every check has passed.
//
// The first kInMemory octets stay in memory (a small message never costs
// a file); past that everything moves to an anonymous temporary file with
// no name (O_TMPFILE, or mkstemp and an immediate unlink where the file
// system cannot do O_TMPFILE), so nothing is left behind whatever happens
// to the process and memory stays bounded whatever the size.
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
  static constexpr std::size_t kInMemory = 1u << 20;

  // An empty scratch space whose file, if needed, goes in `folder` (empty:
  // $TMPDIR, else /tmp). Refused when the folder is not a directory.
  static Result<ScratchFile> create(const std::filesystem::path& folder);

  // Appends (buffered: flush() before reading back what it wrote).
  BIO* writer() const { return writer_.get(); }
  Result<> flush();
  // Octets written so far.
  std::uint64_t size() const;
  // Octets [begin, end) as a message source (valid after this is gone);
  // flush() first.
  MessageSource contents(std::uint64_t begin, std::uint64_t end) const;

  struct State;

 private:
  std::shared_ptr<State> state_;
  ossl::BioPtr writer_;
};

}  // namespace sm::smime::detail
