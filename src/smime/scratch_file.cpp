// scratch_file.cpp - ScratchFile: memory up to kInMemory, then an
// O_TMPFILE (or mkstemp + unlink) file in the scratch folder behind a
// buffered write; a small BIO of ours in front of both.
#include "smime/scratch_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace sm::smime::detail {

struct ScratchFile::State {
  std::filesystem::path folder;
  std::string memory;                      // everything, until it outgrows kInMemory
  std::shared_ptr<const FileDescriptor> fd;  // then the file
  ossl::BioPtr file_writer;                // buffered, over fd
  std::uint64_t size = 0;
  std::string error;                       // why the last write failed

  bool spill();
  bool append(const char* p, std::size_t n);
};

namespace {

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

ScratchFile::State* state_of(BIO* b) { return static_cast<ScratchFile::State*>(BIO_get_data(b)); }

int scratch_write(BIO* b, const char* in, int inl) {
  BIO_clear_retry_flags(b);
  ScratchFile::State* st = state_of(b);
  if (st == nullptr || in == nullptr || inl <= 0) return 0;
  return st->append(in, static_cast<std::size_t>(inl)) ? inl : -1;
}

long scratch_ctrl(BIO* b, int cmd, long, void*) {
  ScratchFile::State* st = state_of(b);
  if (cmd != BIO_CTRL_FLUSH) return 0;
  return st == nullptr || !st->file_writer || BIO_flush(st->file_writer.get()) > 0 ? 1 : 0;
}

// Built once for the life of the process (as crlf_bio.cpp's method).
const BIO_METHOD* scratch_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "open() scratch space");
    if (m == nullptr) return m;
    BIO_meth_set_write(m, scratch_write);
    BIO_meth_set_ctrl(m, scratch_ctrl);
    return m;
  }();
  return method;
}

}  // namespace

bool ScratchFile::State::spill() {
  int raw = anonymous_file(folder, error);
  if (raw < 0) {
    error = "cannot create a scratch file in " + folder.string() + ": " + error;
    return false;
  }
  fd = std::make_shared<const FileDescriptor>(raw);
  ossl::BioPtr file(BIO_new_fd(raw, BIO_NOCLOSE));
  ossl::BioPtr buffer(file ? BIO_new(BIO_f_buffer()) : nullptr);
  if (!buffer || BIO_set_write_buffer_size(buffer.get(), 1 << 16) <= 0) {
    error = "out of memory";
    return false;
  }
  file_writer.reset(BIO_push(buffer.release(), file.release()));
  std::string held;
  held.swap(memory);
  for (std::size_t at = 0; at < held.size();) {
    int n = BIO_write(file_writer.get(), held.data() + at, static_cast<int>(held.size() - at));
    if (n <= 0) {
      error = "writing the scratch file failed: " + std::string(std::strerror(errno));
      return false;
    }
    at += static_cast<std::size_t>(n);
  }
  return true;
}

bool ScratchFile::State::append(const char* p, std::size_t n) {
  if (!fd && memory.size() + n > kInMemory && !spill()) return false;
  if (!fd) {
    memory.append(p, n);
  } else {
    for (std::size_t at = 0; at < n;) {
      int w = BIO_write(file_writer.get(), p + at, static_cast<int>(n - at));
      if (w <= 0) {
        error = "writing the scratch file failed: " + std::string(std::strerror(errno));
        return false;
      }
      at += static_cast<std::size_t>(w);
    }
  }
  size += n;
  return true;
}

Result<ScratchFile> ScratchFile::create(const std::filesystem::path& folder) {
  ScratchFile f;
  f.state_ = std::make_shared<State>();
  if (!folder.empty()) {
    f.state_->folder = folder;
  } else {
    const char* tmp = std::getenv("TMPDIR");
    f.state_->folder = tmp != nullptr && *tmp != '\0' ? std::filesystem::path(tmp) : std::filesystem::path("/tmp");
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(f.state_->folder, ec))
    return local_error("cannot use " + f.state_->folder.string() + " as scratch folder: not a directory");
  const BIO_METHOD* method = scratch_method();
  f.writer_.reset(method ? BIO_new(method) : nullptr);
  if (!f.writer_) return local_error("out of memory creating the scratch space");
  BIO_set_data(f.writer_.get(), f.state_.get());
  BIO_set_init(f.writer_.get(), 1);
  return f;
}

Result<> ScratchFile::flush() {
  if (!state_->error.empty()) return local_error(state_->error);
  if (state_->file_writer && BIO_flush(state_->file_writer.get()) <= 0)
    return local_error("writing the scratch file failed: " + std::string(std::strerror(errno)));
  return {};
}

std::uint64_t ScratchFile::size() const { return state_->size; }

MessageSource ScratchFile::contents(std::uint64_t begin, std::uint64_t end) const {
  if (!state_->fd) {
    begin = std::min<std::uint64_t>(begin, state_->memory.size());
    end = std::clamp<std::uint64_t>(end, begin, state_->memory.size());
    return MessageSource::memory(state_->memory.substr(begin, end - begin));
  }
  return MessageSource::descriptor(state_->fd, state_->size).slice(begin, end);
}

}  // namespace sm::smime::detail
