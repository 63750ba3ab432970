// source.cpp - MessageSource: a message on disk (at an offset, as in a
// spool file) or in memory, opened as many times as the engine needs (the
// header block first, then the whole message streamed); and CRLF
// canonicalisation of text.
//
// A file source never reads the whole file into memory: open() gives a
// file BIO positioned at the offset, head() reads only what it is asked.
#include "smime/source.h"

#include <system_error>

namespace sm::smime {

MessageSource MessageSource::file(std::filesystem::path path, std::uint64_t offset) {
  MessageSource s;
  s.path_ = std::move(path);
  s.offset_ = offset;
  return s;
}

MessageSource MessageSource::memory(std::string bytes) {
  MessageSource s;
  s.bytes_ = std::make_shared<const std::string>(std::move(bytes));
  s.in_memory_ = true;
  return s;
}

std::string MessageSource::name() const { return in_memory_ ? "(memory)" : path_.string(); }

Result<ossl::BioPtr> MessageSource::open() const {
  if (in_memory_) {
    // Read-only memory BIO over the shared bytes: no copy.
    ossl::BioPtr bio(BIO_new_mem_buf(bytes_->data(), static_cast<int>(bytes_->size())));
    if (!bio) return local_error("out of memory opening message");
    return bio;
  }
  ossl::BioPtr bio(BIO_new_file(path_.c_str(), "rb"));
  if (!bio) return local_error("cannot open " + path_.string() + ": " + ossl::openssl_error());
  if (offset_ > 0 && BIO_seek(bio.get(), static_cast<long>(offset_)) < 0)
    return local_error("cannot seek in " + path_.string());
  return bio;
}

Result<std::string> MessageSource::head(std::size_t max) const {
  if (in_memory_) return bytes_->substr(0, max);
  auto bio = open();
  if (!bio) return std::unexpected(bio.error());
  std::string out(max, '\0');
  std::size_t got = 0;
  while (got < max) {
    int want = static_cast<int>(std::min<std::size_t>(max - got, 1 << 20));
    int n = BIO_read(bio->get(), out.data() + got, want);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

Result<std::uint64_t> MessageSource::size() const {
  if (in_memory_) return bytes_->size();
  std::error_code ec;
  std::uint64_t total = std::filesystem::file_size(path_, ec);
  if (ec) return local_error("cannot stat " + path_.string() + ": " + ec.message());
  return total > offset_ ? total - offset_ : 0;
}

std::string canonicalize_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  char prev = 0;
  for (char c : text) {
    if (c == '\n' && prev != '\r') out += '\r';
    out += c;
    prev = c;
  }
  return out;
}

}  // namespace sm::smime
