// passphrase.cpp - passphrases from a file's first line or from the
// terminal with echo off (see passphrase.h). Never argv, never the
// environment: both are visible to other users of the machine.
#include "pki/passphrase.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "pki/detail.h"

namespace sm::pki {

namespace {

class Terminal {
 public:
  Terminal() : fd_(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) {}
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;
  ~Terminal() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool open() const { return fd_ >= 0; }

  void say(std::string_view text) const {
    while (!text.empty()) {
      ssize_t n = ::write(fd_, text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // One line typed with echo off (the echo setting restored afterwards).
  Result<Passphrase> ask(std::string_view prompt) const {
    termios saved{};
    bool restore = ::tcgetattr(fd_, &saved) == 0;
    if (restore) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      quiet.c_lflag |= ECHONL;
      ::tcsetattr(fd_, TCSAFLUSH, &quiet);
    }
    say(prompt);
    std::string line;
    line.reserve(256);  // few reallocations: fewer stray copies of the secret
    char c = 0;
    Result<> status;
    while (true) {
      ssize_t n = ::read(fd_, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) status = local_error(detail::errno_text("/dev/tty", "cannot read passphrase", errno));
      if (n <= 0 || c == '\n') break;
      if (c != '\r') line += c;
    }
    if (restore) ::tcsetattr(fd_, TCSAFLUSH, &saved);
    Passphrase pass(std::move(line));
    if (!status) return std::unexpected(status.error());
    return pass;
  }

 private:
  int fd_;
};

Result<Passphrase> from_file(const std::filesystem::path& file) {
  auto text = read_file(file, 64 * 1024);
  if (!text) return std::unexpected(text.error());
  std::size_t end = text->find_first_of("\r\n");
  Passphrase pass(text->substr(0, end));
  OPENSSL_cleanse(text->data(), text->size());
  if (pass.empty()) return local_error(file.string() + ": first line is empty; it must hold the passphrase");
  return pass;
}

}  // namespace

Result<Passphrase> read_passphrase(const std::filesystem::path& file, std::string_view prompt, bool confirm) {
  if (!file.empty()) return from_file(file);
  Terminal tty;
  if (!tty.open())
    return local_error("no terminal to ask for a passphrase on; pass --passphrase-file FILE");
  auto first = tty.ask(prompt);
  if (!first) return first;
  if (first->empty()) return local_error("empty passphrase");
  if (confirm) {
    auto second = tty.ask("Repeat to confirm: ");
    if (!second) return second;
    if (second->text() != first->text()) return local_error("the passphrases do not match");
  }
  return first;
}

}  // namespace sm::pki
