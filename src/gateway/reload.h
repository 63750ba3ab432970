// reload.h - configuration reload without restart, the way nginx and
// HAProxy do it: the running process checks the new config, stops
// accepting (its listening sockets stay open, so clients wait in the
// backlog), lets the sessions and deliveries in flight finish, then
// execs its own binary again with the same argv and PID. The listening
// sockets and the data-folder lock survive the exec: their descriptors
// are named in $SECUREMAIL_INHERITED_FDS ("relay=5,inbound=6,lock=3") and
// the new image adopts them instead of binding, so a gateway that gave
// up root after binding port 25 keeps its port. Every other descriptor
// is closed by the exec.
//
// The new image reads the variable once (take_inherited_from_environment)
// and removes it, so nothing it starts inherits the sockets.
#pragma once

#include <asio/ip/tcp.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "util/error.h"

namespace sm::gateway::reload {

inline constexpr const char* kInheritedFdsVariable = "SECUREMAIL_INHERITED_FDS";
inline constexpr const char* kLockName = "lock";

// Name -> descriptor.
using InheritedFds = std::map<std::string, int>;

// "relay=5,inbound=6,lock=3" -> {relay:5, inbound:6, lock:3}. Errors name
// the bad item: not NAME=FD, an empty name, FD not a number >= 3, a name
// or a descriptor given twice.
Result<InheritedFds> parse_inherited(std::string_view text);
std::string format_inherited(const InheritedFds& fds);

// Reads and unsets $SECUREMAIL_INHERITED_FDS, keeping the descriptors for
// the claims below and marking each close-on-exec again. An error (the
// variable malformed or a descriptor not open) leaves nothing inherited.
Result<void> take_inherited_from_environment();

// The inherited descriptor of that name, taken out of the table.
std::optional<int> claim(const std::string& name);

// The inherited listening socket for listener `name` configured at `at`:
// the one of that name when its address matches (any port when `at` asks
// for port 0), else one bound exactly to `at` under another name. A
// socket whose address no longer matches stays unclaimed.
std::optional<int> claim_listener(const std::string& name, const asio::ip::tcp::endpoint& at);

// Closes the inherited descriptors nobody claimed (a listener the new
// config no longer has); returns their names for the log.
std::vector<std::string> close_unclaimed();

// What the old image hands to the new one.
struct Handoff {
  bool requested = false;
  InheritedFds fds;
};

// Marks every descriptor but 0-2 and `keep` close-on-exec, clears the
// flag on `keep`, sets the variable, blocks SIGHUP (a reload asked for
// while the new image starts waits for it) and execs /proc/self/exe with
// this process's argv (from /proc/self/cmdline). Returns only on failure.
Error reexec(const InheritedFds& keep);

// SIGHUP is blocked from the start of `securemail run` (so in every thread
// the gateway starts) and taken only by the event loop's thread, between
// accept_sighup() (once the signal handling is in place) and
// hold_sighup() (when a reload begins). Otherwise a SIGHUP between the end
// of the signal handling and the exec (or while the new image starts)
// would find the default action and end the gateway; held, it stays
// pending and the new image reloads again.
void hold_sighup();
void accept_sighup();

// What a reload cannot change in place, "" when `next` is fine: data_dir,
// and a listener the new image would bind afresh on a port below 1024
// when this process may no longer bind one (it gave up root).
std::string unchangeable(const config::Config& running, const config::Config& next);

// Root, or the CAP_NET_BIND_SERVICE capability in effect.
bool may_bind_privileged_ports();

}  // namespace sm::gateway::reload
