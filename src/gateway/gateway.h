// gateway.h - the `securemail run` daemon: listeners, the queue, the
// delivery agent, the admin listener and the control socket
// (control_socket.h, with the commands' end of it), in one
// process with one event loop thread (plus the queue's committer thread,
// a small pool for blocking deliveries, and the admin HTTP threads).
//
// Start-up order: config is already validated (and the data folder locked
// by the caller); open and recover the queue; bind every listener (so a
// port conflict fails before anything is accepted); call hooks.bound
// (privileges are dropped there); write data_dir/run/listeners.json;
// schedule the queue; serve.
// SIGTERM/SIGINT: stop accepting, let running sessions and deliveries end
// (up to a grace period), exit 0. Accepted mail is on disk throughout, so
// a hard kill loses nothing either. SIGHUP (or "reload" on the control
// socket), with hooks.check_reload set: a configuration reload (reload.h)
// - the config is checked, the listeners stop accepting but stay open,
// sessions and deliveries finish (up to 30 s), run() returns with
// hooks.handoff filled and the caller execs. Without it SIGHUP only
// fetches the directory feed now and reloads the CRL. With [directory] feed set, the directory service
// (directory_runtime.h) runs beside them on threads of its own.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "config/config.h"
#include "gateway/reload.h"

namespace sm::gateway {

// What the caller (`securemail run`) does at fixed points of the start-up.
struct StartupHooks {
  // Once every listener and the control socket are bound, before the first
  // connection is accepted and before the directory service starts: the
  // place to give up root (setuid applies to every thread). A non-zero return stops the start-up with
  // that exit code (the hook has said why).
  std::function<int()> bound;
  // DATA/log.key's octets when the audit trail hashes addresses ([audit] addresses).
  std::string audit_address_key;
  // A reload asked for: checks the config file again (and what a start
  // would load from it); "" to go ahead, else why not ("FILE:LINE: KEY: why").
  std::function<std::string()> check_reload;
  // Where run() leaves the listening sockets when it returns for a reload.
  reload::Handoff* handoff = nullptr;
  // `securemail certify serve`: the certification facility's test
  // addresses and decoy listeners (facility.h, facility_listeners.h).
  bool facility = false;
};

// Runs until stopped by a signal. Returns the process exit code.
int run(const config::Config& config, const StartupHooks& hooks = {});

}  // namespace sm::gateway
