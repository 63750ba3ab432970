// run_command.cpp - `securemail run`: what must hold before the gateway
// takes mail, in this order:
//   1. the config loads (exit 2 naming file:line:key);
//   2. the [run] account exists and can be switched to (exit 2);
//   3. key memory is protected (secure heap, not dumpable) before any key
//      is read;
//   4. no private key in the data folder is open to group or others
//      (exit 2 naming the file, like ssh);
//   5. the data folder is ours alone (exclusive lock; exit 2 naming the PID
//      that holds it, 1 when the lock file cannot be made);
//   6. the log takes its [log] privacy settings (the key DATA/log.key, the
//      daily file); then the sovereignty warnings are logged;
// then gateway::run binds the listeners and calls back here to switch to
// the [run] account before serving. When it returns for a reload
// (gateway/reload.h) this process execs itself with the listening sockets
// and the lock kept; the new image adopts the lock in step 5.
//
// Must never take the lock after anything that writes into the data
// folder: a second instance has to stop before touching the first's files.
#include "app/run_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "app/data_lock.h"
#include "app/gateway_files.h"
#include "app/log_key.h"
#include "app/load_config.h"
#include "app/privileges.h"
#include "app/reload_command.h"
#include "gateway/gateway.h"
#include "gateway/reload.h"
#include "gateway/sovereignty_check.h"
#include "pki/key.h"
#include "pki/keyring.h"
#include "util/log.h"

namespace sm::app {
namespace fs = std::filesystem;

int run_gateway(const std::string& file, bool facility) {
  gateway::reload::hold_sighup();  // before any thread starts: only the event loop takes it (reload.h)
  // After a reload's exec: the listening sockets and the lock the old image kept.
  if (auto inherited = gateway::reload::take_inherited_from_environment(); !inherited) {
    log::error("reload: {}", inherited.error().text);
    return 1;
  }
  auto cfg = load_config(file);
  if (!cfg) return 2;
  log::setup(config::to_string(cfg->log_level));
  std::cerr << "# securemail: effective configuration ("
            << (file.empty() ? "embedded default: no --config given" : cfg->source) << ")\n"
            << config::describe(*cfg) << std::flush;

  auto account = run_account(*cfg);
  if (!account) {
    log::error("{}", account.error().text);
    return 2;
  }
  if (!*account && ::geteuid() == 0)
    log::warn("running as root: set [run] user (and group) in the config so the gateway gives up root "
              "once its ports are bound");
  log::info("key memory: {}", protect_key_memory());

  std::error_code ec;
  fs::create_directories(cfg->data_dir, ec);
  if (ec) {
    log::error("cannot create data folder {}: {}", cfg->data_dir.string(), ec.message());
    return 1;
  }
  ::chmod(cfg->data_dir.c_str(), 0700);
  for (const auto& key : private_key_files(*cfg))
    if (auto mode = pki::check_private_key_mode(key); !mode) {
      log::error("refusing to start: {}", mode.error().text);
      return 2;
    }
  auto kept_lock = gateway::reload::claim(gateway::reload::kLockName);
  auto lock = kept_lock ? DataFolderLock::adopt(*kept_lock, cfg->data_dir) : DataFolderLock::acquire(cfg->data_dir);
  if (!lock) {
    log::error("{}{}", lock.error().in_use ? "refusing to start: " : "", lock.error().text);
    return lock.error().in_use ? 2 : 1;
  }
  // [log] privacy from here on: the key is made inside the locked data folder.
  auto privacy = log_privacy(*cfg);
  if (!privacy) {
    log::error("refusing to start: {}", privacy.error().text);
    return 2;
  }
  if (auto logging = log::setup(config::to_string(cfg->log_level), *privacy); !logging) {
    log::error("refusing to start: {}", logging.error().text);
    return 1;
  }
  gateway::warn_sovereignty(*cfg);

  gateway::StartupHooks hooks;
  if (cfg->audit_hashes_addresses()) {
    auto key = log_key(cfg->data_dir, true);
    if (!key) return log::error("refusing to start: [audit] addresses: {}", key.error().text), 1;
    hooks.audit_address_key = std::move(*key);
  }
  hooks.bound = [&cfg, &account]() -> int {
    log::info("key memory: {} bytes of private key material in the secure heap", secure_heap_used());
    if (!*account) return 0;
    if (auto dropped = drop_to(**account, cfg->data_dir); !dropped) {
      log::error("cannot switch to user {}: {}", (*account)->user, dropped.error().text);
      return 1;
    }
    log::info("running as user {} (uid {}), group {} (gid {})", (*account)->user, (*account)->uid,
              (*account)->group, (*account)->gid);
    return 0;
  };
  gateway::reload::Handoff handoff;
  hooks.handoff = &handoff;
  hooks.facility = facility;
  hooks.check_reload = [&file, &cfg] { return reload_problems(file, &*cfg); };
  int rc = gateway::run(*cfg, hooks);
  if (!handoff.requested) return rc;
  handoff.fds[gateway::reload::kLockName] = lock->descriptor();
  log::info("reload: restarting in place with {}", gateway::reload::format_inherited(handoff.fds));
  log::error("{}", gateway::reload::reexec(handoff.fds).text);  // returns only when the exec failed
  return 1;
}

void add_run_command(CLI::App& app, std::function<int()>& action) {
  auto file = std::make_shared<std::string>();
  CLI::App* run = app.add_subcommand("run", "Run the gateway in the foreground (SIGTERM stops, mail stays queued)");
  run->add_option("-c,--config", *file, "Config file (default: the embedded default, data in ./securemail-data)");
  run->callback([&action, file] {
    action = [file]() -> int { return run_gateway(*file); };
  });
}

}  // namespace sm::app
