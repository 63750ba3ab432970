// sd_notify.cpp - see sd_notify.h: the datagram to $NOTIFY_SOCKET and the
// watchdog period from $WATCHDOG_USEC / $WATCHDOG_PID.
#include "util/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace sm::sd {
namespace {

// A decimal number in full, or nullopt.
std::optional<unsigned long long> whole_number(std::string_view text) {
  unsigned long long n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

}  // namespace

Result<> notify_to(std::string_view socket, std::string_view state) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.size() < 2 || (socket[0] != '/' && socket[0] != '@'))
    return local_error("NOTIFY_SOCKET " + std::string(socket) + ": not a socket path or @abstract name");
  if (socket.size() >= sizeof(addr.sun_path))
    return local_error("NOTIFY_SOCKET " + std::string(socket) + ": longer than a socket address allows");
  std::memcpy(addr.sun_path, socket.data(), socket.size());
  if (socket[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket.size());

  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return local_error(std::string("NOTIFY_SOCKET: socket: ") + std::strerror(errno));
  ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), len);
  int err = errno;
  ::close(fd);
  if (sent < 0) return local_error("NOTIFY_SOCKET " + std::string(socket) + ": " + std::strerror(err));
  return {};
}

Result<bool> notify(std::string_view state) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return false;
  if (auto sent = notify_to(socket, state); !sent) return std::unexpected(sent.error());
  return true;
}

Result<std::optional<std::chrono::microseconds>> watchdog_interval() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (usec == nullptr || *usec == '\0') return std::nullopt;
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid != nullptr && *pid != '\0') {
    auto n = whole_number(pid);
    if (!n) return local_error("WATCHDOG_PID " + std::string(pid) + ": not a process id");
    if (*n != static_cast<unsigned long long>(::getpid())) return std::nullopt;  // meant for another process
  }
  auto n = whole_number(usec);
  if (!n || *n == 0) return local_error("WATCHDOG_USEC " + std::string(usec) + ": not a positive number of microseconds");
  return std::chrono::microseconds(*n / 2);
}

}  // namespace sm::sd
