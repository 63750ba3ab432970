// init_command.h - `securemail init`: a new gateway data folder with its
// keys, certificates from the authority, the authority's trust anchor and
// CRL, and a config.toml that `securemail run --config` accepts.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_init_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
