// run_command.cpp - `securemail run`: what must hold before the gateway
// takes mail, in this order:
//   1. the config loads (exit 2 naming file:line:key);
//   2. the data folder is ours alone (exclusive lock; exit 2 naming the PID
//      that holds it, 1 when the lock file cannot be made);
// then gateway::run serves.
//
// Must never take the lock after anything that writes into the data
// folder: a second instance has to stop before touching the first's files.
#include "app/run_command.h"

#include <sys/stat.h>

#include <iostream>

#include "app/data_lock.h"
#include "app/load_config.h"
#include "gateway/gateway.h"
#include "util/log.h"

namespace sm::app {
namespace fs = std::filesystem;
namespace {

int run_gateway(const std::string& file) {
  auto cfg = load_config(file);
  if (!cfg) return 2;
  log::setup(config::to_string(cfg->log_level));
  std::cerr << "# securemail: effective configuration ("
            << (file.empty() ? "embedded default: no --config given" : cfg->source) << ")\n"
            << config::describe(*cfg) << std::flush;

  std::error_code ec;
  fs::create_directories(cfg->data_dir, ec);
  if (ec) {
    log::error("cannot create data folder {}: {}", cfg->data_dir.string(), ec.message());
    return 1;
  }
  ::chmod(cfg->data_dir.c_str(), 0700);
  auto lock = DataFolderLock::acquire(cfg->data_dir);
  if (!lock) {
    log::error("{}{}", lock.error().in_use ? "refusing to start: " : "", lock.error().text);
    return lock.error().in_use ? 2 : 1;
  }

  return gateway::run(*cfg);
}

}  // namespace

void add_run_command(CLI::App& app, std::function<int()>& action) {
  auto file = std::make_shared<std::string>();
  CLI::App* run = app.add_subcommand("run", "Run the gateway in the foreground (SIGTERM stops, mail stays queued)");
  run->add_option("-c,--config", *file, "Config file (default: the embedded default, data in ./securemail-data)");
  run->callback([&action, file] {
    action = [file]() -> int { return run_gateway(*file); };
  });
}

}  // namespace sm::app
