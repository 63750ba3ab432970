// scratch_file.cpp - ScratchFile: O_TMPFILE (or mkstemp + unlink) in the
// scratch folder, a buffered write BIO over it, and slices of it to read.
#include "smime/scratch_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace sm::smime::detail {
namespace {

std::filesystem::path folder_or_default(const std::filesystem::path& folder) {
  if (!folder.empty()) return folder;
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? std::filesystem::path(tmp) : std::filesystem::path("/tmp");
}

int anonymous_file(const std::filesystem::path& folder, std::string& error) {
  int fd = ::open(folder.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    error = std::strerror(errno);
    return -1;
  }
  std::string name = (folder / "securemail-open-XXXXXX").string();
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  ::unlink(name.c_str());
  return fd;
}

}  // namespace

Result<ScratchFile> ScratchFile::create(const std::filesystem::path& folder) {
  std::filesystem::path where = folder_or_default(folder);
  std::string error;
  int fd = anonymous_file(where, error);
  if (fd < 0) return local_error("cannot create a scratch file in " + where.string() + ": " + error);
  ScratchFile f;
  f.fd_ = std::make_shared<const FileDescriptor>(fd);
  ossl::BioPtr file(BIO_new_fd(fd, BIO_NOCLOSE));
  ossl::BioPtr buffer(file ? BIO_new(BIO_f_buffer()) : nullptr);
  if (!buffer || BIO_set_write_buffer_size(buffer.get(), 1 << 16) <= 0)
    return local_error("out of memory creating a scratch file");
  f.writer_.reset(BIO_push(buffer.release(), file.release()));
  return f;
}

Result<> ScratchFile::flush() {
  if (BIO_flush(writer_.get()) <= 0) return local_error("writing the scratch file failed: " + std::string(std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd_->get(), &st) != 0) return local_error("cannot stat the scratch file");
  size_ = static_cast<std::uint64_t>(st.st_size);
  return {};
}

MessageSource ScratchFile::contents(std::uint64_t begin, std::uint64_t end) const {
  return MessageSource::descriptor(fd_, size_).slice(begin, end);
}

}  // namespace sm::smime::detail
