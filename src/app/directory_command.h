// directory_command.h - `securemail directory ...`: the directory
// authority's member list (add, update, suspend, reactivate, remove, list,
// show, publish, serve) and a gateway's view of it (lookup, fetch).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

// Adds the directory subcommand; `action` receives what to run once parsed.
void add_directory_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
