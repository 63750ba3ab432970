// keys_command.h - `securemail keys ...`: a gateway's own keys in DATA/pki:
// show them, rotate to a new key, back them up encrypted, restore them.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_keys_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
