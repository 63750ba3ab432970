// admin_command.h - `securemail admin token create|list|revoke`: bearer
// tokens for the admin HTTP API (docs/api.md), gateway running or stopped.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_admin_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
