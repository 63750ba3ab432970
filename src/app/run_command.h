// run_command.h - `securemail run`: the gateway daemon in the foreground.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_run_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
