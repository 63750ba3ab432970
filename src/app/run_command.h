// run_command.h - `securemail run`: the gateway daemon in the foreground.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace sm::app {

void add_run_command(CLI::App& app, std::function<int()>& action);

// The daemon with this config file (what `run` and `certify serve` do;
// facility: the certification facility's addresses and listeners too).
int run_gateway(const std::string& config_file, bool facility = false);

}  // namespace sm::app
