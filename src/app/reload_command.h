// reload_command.h - `securemail reload --config F`: check F as a start
// would, then ask the running gateway on F's data folder to reload
// (gateway/reload.h) and wait until it serves again. Exit 0 "reloaded";
// 2 when F (or what it names) would not load, naming FILE:LINE: KEY, and
// nothing is signalled; 1 when no gateway runs or it did not come back.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "config/config.h"

namespace sm::app {

void add_reload_command(CLI::App& app, std::function<int()>& action);

// Why the config file (the embedded default when empty) cannot replace
// the running one, "" when it can: what `config check` reports, then the
// keys and the TLS pair must load. With `running` (inside the daemon) also
// what a reload cannot change and the [run] account switch.
std::string reload_problems(const std::string& file, const config::Config* running);

}  // namespace sm::app
