// reload.cpp - the descriptors handed across a reload's exec (reload.h):
// the variable's syntax, adopting them in the new image, and the exec.
#include "gateway/reload.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

namespace sm::gateway::reload {
namespace {

InheritedFds& table() {
  static InheritedFds fds;
  return fds;
}

void set_cloexec(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0) return;
  ::fcntl(fd, F_SETFD, on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC));
}

// The local address of a listening socket; nullopt for anything else.
std::optional<asio::ip::tcp::endpoint> local_endpoint(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) return std::nullopt;
  asio::ip::tcp::endpoint ep;
  // The endpoint holds a sockaddr_in6 at most (28 bytes), not a whole
  // sockaddr_storage: copy no more than it can take.
  if (len > ep.capacity()) return std::nullopt;
  std::memcpy(ep.data(), &ss, len);
  ep.resize(len);
  return ep;
}

}  // namespace

Result<InheritedFds> parse_inherited(std::string_view text) {
  InheritedFds out;
  std::set<int> seen;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    auto bad = [&](const std::string& why) {
      return local_error(std::string(kInheritedFdsVariable) + ": \"" + std::string(item) + "\": " + why);
    };
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return bad("not NAME=FD");
    std::string name(item.substr(0, eq));
    std::string_view number = item.substr(eq + 1);
    if (name.empty()) return bad("no name");
    int fd = -1;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), fd);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size() || fd < 3)
      return bad("not a descriptor number (3 or more)");
    if (out.contains(name)) return bad("name given twice");
    if (!seen.insert(fd).second) return bad("descriptor given twice");
    out[name] = fd;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string format_inherited(const InheritedFds& fds) {
  std::string out;
  for (const auto& [name, fd] : fds) out += (out.empty() ? "" : ",") + name + "=" + std::to_string(fd);
  return out;
}

Result<void> take_inherited_from_environment() {
  const char* value = std::getenv(kInheritedFdsVariable);
  if (!value) return {};
  std::string text = value;
  ::unsetenv(kInheritedFdsVariable);
  auto fds = parse_inherited(text);
  if (!fds) return std::unexpected(fds.error());
  for (const auto& [name, fd] : *fds)
    if (::fcntl(fd, F_GETFD) < 0)
      return local_error(std::string(kInheritedFdsVariable) + ": " + name + "=" + std::to_string(fd) +
                         ": descriptor not open");
  for (const auto& [name, fd] : *fds) set_cloexec(fd, true);
  table() = std::move(*fds);
  return {};
}

std::optional<int> claim(const std::string& name) {
  auto it = table().find(name);
  if (it == table().end()) return std::nullopt;
  int fd = it->second;
  table().erase(it);
  return fd;
}

std::optional<int> claim_listener(const std::string& name, const asio::ip::tcp::endpoint& at) {
  auto matches = [&at](int fd, bool any_port) {
    auto ep = local_endpoint(fd);
    return ep && ep->address() == at.address() && (ep->port() == at.port() || (any_port && at.port() == 0));
  };
  if (auto it = table().find(name); it != table().end() && matches(it->second, true)) return claim(name);
  if (at.port() == 0) return std::nullopt;
  for (const auto& [other, fd] : table())
    if (other != kLockName && matches(fd, false)) return claim(std::string(other));
  return std::nullopt;
}

std::vector<std::string> close_unclaimed() {
  std::vector<std::string> names;
  for (const auto& [name, fd] : table()) {
    ::close(fd);
    names.push_back(name);
  }
  table().clear();
  return names;
}

Error reexec(const InheritedFds& keep) {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (std::size_t at = 0; at < cmdline.size();) {
    std::size_t nul = cmdline.find('\0', at);
    if (nul == std::string::npos) nul = cmdline.size();
    args.emplace_back(cmdline.substr(at, nul - at));
    at = nul + 1;
  }
  if (args.empty()) return Error{451, "4.3.0", "reload: cannot read /proc/self/cmdline"};

  std::set<int> kept;
  for (const auto& [name, fd] : keep) kept.insert(fd);
  if (DIR* d = ::opendir("/proc/self/fd")) {
    std::vector<int> open;
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') open.push_back(std::atoi(e->d_name));
    ::closedir(d);
    for (int fd : open)
      if (fd > 2) set_cloexec(fd, !kept.contains(fd));
  } else {
    return Error{451, "4.3.0", std::string("reload: cannot list /proc/self/fd: ") + std::strerror(errno)};
  }
  ::setenv(kInheritedFdsVariable, format_inherited(keep).c_str(), 1);
  // SIGHUP has been held since the reload began (hold_sighup): the new
  // image inherits it blocked and pending, and takes it once it can.

  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv("/proc/self/exe", argv.data());
  int err = errno;
  ::unsetenv(kInheritedFdsVariable);
  for (int fd : kept) set_cloexec(fd, true);
  return Error{451, "4.3.0", std::string("reload: exec /proc/self/exe: ") + std::strerror(err)};
}

namespace {
void mask_sighup(int how) {
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  ::pthread_sigmask(how, &hup, nullptr);
}
}  // namespace

void hold_sighup() { mask_sighup(SIG_BLOCK); }
void accept_sighup() { mask_sighup(SIG_UNBLOCK); }

std::string unchangeable(const config::Config& running, const config::Config& next) {
  if (running.data_dir != next.data_dir)
    return "data_dir: a reload cannot move the data folder (" + running.data_dir.string() + " -> " +
           next.data_dir.string() + "); restart the gateway";
  if (may_bind_privileged_ports()) return "";
  // The new image binds these afresh: the admin and web listeners always, an SMTP listener when it moves.
  struct Bound {
    const char* name;
    const config::Endpoint& at;
    bool fresh;
  };
  const auto& was = running.listen;
  const auto& now = next.listen;
  const Bound listeners[] = {{"admin", now.admin, true},
                             {"web", now.web, true},
                             {"relay", now.relay, now.relay != was.relay},
                             {"inbound", now.inbound, now.inbound != was.inbound},
                             {"submission", now.submission, now.submission != was.submission},
                             {"submissions", now.submissions, now.submissions != was.submissions}};
  for (const auto& l : listeners)
    if (l.fresh && l.at.enabled() && l.at.port > 0 && l.at.port < 1024)
      return std::string("listen.") + l.name + ": port " + std::to_string(l.at.port) +
             " cannot be bound again: the gateway has given up root (use CAP_NET_BIND_SERVICE, as the systemd "
             "unit does, or restart it)";
  return "";
}

bool may_bind_privileged_ports() {
  if (::geteuid() == 0) return true;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("CapEff:")) {
      unsigned long long caps = std::strtoull(line.c_str() + 7, nullptr, 16);
      return (caps >> 10) & 1;  // CAP_NET_BIND_SERVICE
    }
  return false;
}

}  // namespace sm::gateway::reload
