// demo_gateway.cpp - the demo's gateways as child processes (see
// demo_parts.h): started from this very binary, each in its own process
// group (Ctrl-C reaches the demo only; the demo stops them with SIGTERM)
// and killed by the kernel if the demo dies first (PR_SET_PDEATHSIG).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/demo_parts.h"
#include "gateway/control_socket.h"
#include "gateway/http_client.h"

namespace sm::app::demo {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
struct sigaction g_old_int {}, g_old_term {};

void on_signal(int) { g_interrupted = 1; }

constexpr auto kPoll = std::chrono::milliseconds(50);

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &g_old_int);
  ::sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptGuard::~InterruptGuard() {
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
}

bool interrupted() { return g_interrupted != 0; }

GatewayChild::GatewayChild(std::string domain, fs::path config, fs::path data, fs::path log)
    : domain_(std::move(domain)), config_(std::move(config)), data_(std::move(data)), log_(std::move(log)) {}

GatewayChild::~GatewayChild() { stop(); }

Result<> GatewayChild::start() {
  // A gateway whose control socket path does not fit sockaddr_un cannot start.
  std::string control = gateway::control_socket_path(data_).string();
  if (control.size() >= sizeof(sockaddr_un{}.sun_path))
    return local_error("the control socket of the gateway for " + domain_ + ", " + control +
                       ", would be longer than a Unix socket path may be (" +
                       std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes); use a shorter --dir or $TMPDIR");
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return local_error("cannot find this program (/proc/self/exe): " + ec.message());
  int log_fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return local_error("cannot open " + log_.string() + ": " + std::strerror(errno));
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::string exe = self.string(), config = config_.string();
  const char* argv[] = {exe.c_str(), "run", "--config", config.c_str(), nullptr};
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {  // the child: only async-signal-safe calls until exec
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the demo is already gone
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::execv(argv[0], const_cast<char* const*>(argv));
    static const char msg[] = "securemail demo: exec of the gateway failed\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  int fork_errno = errno;
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) return local_error(std::string("cannot start the gateway for ") + domain_ + ": " + std::strerror(fork_errno));
  pid_ = pid;
  return {};
}

bool GatewayChild::running() {
  if (pid_ <= 0 || wait_status_ != -1) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    wait_status_ = st;
    return false;
  }
  return true;
}

std::string GatewayChild::status() const {
  if (wait_status_ == -1) return pid_ > 0 ? "running" : "";
  if (WIFEXITED(wait_status_)) return "exit " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) return "signal " + std::to_string(WTERMSIG(wait_status_));
  return "status " + std::to_string(wait_status_);
}

Result<nlohmann::json> GatewayChild::wait_ready(std::chrono::seconds timeout) {
  fs::path file = data_ / "run" / "listeners.json";
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!running())
      return local_error("the gateway for " + domain_ + " stopped (" + status() + ") before it was ready; see " +
                         log_.string());
    std::ifstream in(file);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      auto j = nlohmann::json::parse(text.str(), nullptr, false);
      if (!j.is_discarded() && j.is_object()) return j;  // else: half written, read again
    }
    if (interrupted()) return local_error("interrupted");
    if (std::chrono::steady_clock::now() > deadline)
      return local_error("the gateway for " + domain_ + " was not ready after " + std::to_string(timeout.count()) +
                         " s (no " + file.string() + "); see " + log_.string());
    std::this_thread::sleep_for(kPoll);
  }
}

Result<std::string> GatewayChild::wait_member(const config::Endpoint& admin, const std::string& domain,
                                              std::chrono::seconds timeout) {
  config::FeedSource url;
  url.kind = config::FeedSource::Kind::http;
  url.host = admin.host;
  url.port = admin.port;
  url.path = "/v1/directory/lookup?domain=" + domain;
  gateway::HttpClientOptions options;
  options.connect_timeout = std::chrono::seconds(2);
  options.io_timeout = std::chrono::seconds(5);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last = "no answer yet";
  while (true) {
    if (!running())
      return local_error("the gateway for " + domain_ + " stopped (" + status() + "); see " + log_.string());
    auto reply = gateway::http_get(url, {}, options);
    if (!reply) {
      last = reply.error().text;
    } else {
      auto j = nlohmann::json::parse(reply->body, nullptr, false);
      if (reply->status == 200 && !j.is_discarded() && j.value("found", false) && j["member"].is_object())
        return j["member"].value("id", std::string());
      last = "HTTP " + std::to_string(reply->status) + " " + reply->body.substr(0, 200);
    }
    if (interrupted()) return local_error("interrupted");
    if (std::chrono::steady_clock::now() > deadline)
      return local_error("the directory of the gateway for " + domain_ + " did not list " + domain + " within " +
                         std::to_string(timeout.count()) + " s (" + url.str() + ": " + last + "); see " + log_.string());
    std::this_thread::sleep_for(kPoll);
  }
}

std::string GatewayChild::stop(std::chrono::seconds grace) {
  if (!running()) return status();
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (running() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(kPoll);
  if (running()) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    if (::waitpid(pid_, &st, 0) == pid_) wait_status_ = st;
  }
  return status();
}

Result<config::Endpoint> listener_of(const nlohmann::json& listeners, const std::string& name) {
  auto it = listeners.find(name);
  if (it == listeners.end() || !it->is_string()) return local_error("listeners.json names no " + name + " listener");
  auto ep = config::parse_endpoint(it->get<std::string>(), false);
  if (!ep) return local_error("listeners.json: " + name + ": " + ep.error());
  return *ep;
}

}  // namespace sm::app::demo
