// testnet_command.h - `securemail testnet`: a complete local test network
// (an authority, one gateway per domain, a signed directory feed) in one folder.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_testnet_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
