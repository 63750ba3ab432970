// log_syslog.cpp - the syslog socket sink (log_syslog.h).
#include "util/log_syslog.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/sinks/base_sink.h>

#include <array>
#include <atomic>
#include <cstring>
#include <ctime>
#include <mutex>

namespace sm::log {
namespace {

std::atomic<std::uint64_t> g_dropped{0};

int severity_of(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical: return 2;
    case spdlog::level::err: return 3;
    case spdlog::level::warn: return 4;
    case spdlog::level::info: return 6;
    default: return 7;  // debug, trace
  }
}

class SyslogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  SyslogSink(std::string path, int facility) : path_(std::move(path)), facility_(facility) {}
  ~SyslogSink() override {
    if (fd_ >= 0) ::close(fd_);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::time_t t = std::chrono::system_clock::to_time_t(msg.time);
    std::tm tm{};
    localtime_r(&t, &tm);  // RFC 3164 stamps are local time, as syslog(3) writes them
    std::array<char, 32> stamp{};
    std::strftime(stamp.data(), stamp.size(), "%b %e %H:%M:%S", &tm);
    std::string line = "<" + std::to_string(facility_ * 8 + severity_of(msg.level)) + ">" + stamp.data() +
                       " securemail[" + std::to_string(::getpid()) + "]: ";
    for (char c : std::string_view(msg.payload.data(), msg.payload.size()))
      line += (c == '\n' || c == '\r') ? ' ' : c;  // one datagram, one line
    if (!send_line(line)) ++g_dropped;
  }
  void flush_() override {}

 private:
  bool connect_socket() {
    if (path_.size() >= sizeof(sockaddr_un::sun_path)) return false;
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.data(), path_.size());
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return false;
    }
    fd_ = fd;
    return true;
  }

  bool send_line(const std::string& line) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0 && !connect_socket()) return false;
      if (::send(fd_, line.data(), line.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(line.size())) return true;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EMSGSIZE) return false;  // full or too long: drop
      ::close(fd_);  // the daemon restarted (ECONNREFUSED, ENOTCONN): connect again once
      fd_ = -1;
    }
    return false;
  }

  std::string path_;
  int facility_;
  int fd_ = -1;
};

}  // namespace

std::optional<int> syslog_facility(std::string_view name) {
  if (name == "user") return 1;
  if (name == "mail") return 2;
  if (name == "daemon") return 3;
  if (name.size() == 6 && name.starts_with("local") && name[5] >= '0' && name[5] <= '7') return 16 + (name[5] - '0');
  return std::nullopt;
}

spdlog::sink_ptr syslog_sink(std::string path, int facility) { return std::make_shared<SyslogSink>(std::move(path), facility); }

std::uint64_t syslog_dropped() { return g_dropped.load(); }

}  // namespace sm::log
