// reload_command.cpp - `securemail reload` and the check the daemon makes
// before it reloads (see reload_command.h, gateway/reload.h).
#include "app/reload_command.h"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "app/config_command.h"
#include "app/data_lock.h"
#include "app/privileges.h"
#include "gateway/control_socket.h"
#include "gateway/gateway.h"
#include "gateway/gateway_keys.h"
#include "gateway/reload.h"
#include "net/tls.h"

namespace sm::app {
namespace fs = std::filesystem;
namespace {

// "a\nb\n" -> "a; b"
std::string one_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  for (std::size_t at; (at = text.find('\n')) != std::string::npos;) text.replace(at, 1, "; ");
  return text;
}

// The PID written in the data folder's lock file, 0 when none.
long holder_pid(const fs::path& data_dir) {
  std::ifstream in(DataFolderLock::file(data_dir));
  long pid = 0;
  in >> pid;
  return pid;
}

int reload(const std::string& file, int timeout_seconds) {
  if (std::string why = reload_problems(file, nullptr); !why.empty()) {
    std::cerr << why << "\nnot reloaded: the running gateway keeps its configuration\n";
    return 2;
  }
  auto cfg = config::load_file(file);  // it loaded just now
  if (!cfg) return 2;
  auto reply = gateway::ask_running_gateway(cfg->data_dir, "reload");
  if (!reply) {
    std::cerr << "no gateway answers on " << gateway::control_socket_path(cfg->data_dir).string()
              << ": is `securemail run` running with data_dir " << cfg->data_dir.string() << "?\n";
    return 1;
  }
  if (reply->starts_with("error ")) {
    std::cerr << "reload refused: " << reply->substr(6) << "\n";
    return 2;
  }
  if (*reply != "ok") {
    std::cerr << "unexpected answer from the gateway: " << *reply << "\n";
    return 1;
  }
  long pid = holder_pid(cfg->data_dir);
  // The old image closed its control socket when the reload began; the new one answers once it serves.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (gateway::ask_running_gateway(cfg->data_dir, "ready")) {
      std::cout << "reloaded" << (pid > 0 ? " (PID " + std::to_string(pid) + ")" : "") << "\n";
      return 0;
    }
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::cerr << "the gateway (PID " << pid << ") exited during the reload: its log says why\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cerr << "the gateway did not serve again within " << timeout_seconds
            << " s (sessions still open, or the new configuration failed at start): its log says why\n";
  return 1;
}

}  // namespace

std::string reload_problems(const std::string& file, const config::Config* running) {
  auto next = file.empty() ? std::expected<config::Config, std::string>(config::embedded_default())
                           : config::load_file(file);
  if (!next) return one_line(next.error());
  const std::string& source = next->source;
  if (running)
    if (std::string why = gateway::reload::unchangeable(*running, *next); !why.empty()) return source + ": " + why;
  if (auto problems = start_problems(file, *next); !problems.empty()) return problems.front();
  if (running)
    if (auto account = run_account(*next); !account) return account.error().text;
  if (auto keys = gateway::GatewayKeys::load(*next); !keys) return source + ": data_dir: keys: " + keys.error().text;
  if (!next->tls.development())
    if (auto tls = net::server_tls_context(next->tls.cert, next->tls.key); !tls)
      return source + ": tls.cert: " + tls.error().text;
  return "";
}

void add_reload_command(CLI::App& app, std::function<int()>& action) {
  auto file = std::make_shared<std::string>();
  auto timeout = std::make_shared<int>(60);
  CLI::App* cmd = app.add_subcommand(
      "reload", "Apply a changed config file to the running gateway (same PID, no connection refused)");
  cmd->add_option("-c,--config", *file, "The config file the gateway runs with")->required();
  cmd->add_option("--timeout", *timeout, "Seconds to wait for the gateway to serve again (default 60)")
      ->check(CLI::PositiveNumber);
  cmd->callback([&action, file, timeout] { action = [file, timeout] { return reload(*file, *timeout); }; });
}

}  // namespace sm::app
