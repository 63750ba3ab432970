// config_command.h - `securemail config check` (like `postfix check`) and
// `securemail config show [-n]` (like `postconf` / `postconf -n`).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"

namespace sm::app {

void add_config_command(CLI::App& app, std::function<int()>& action);

// What a start would meet with this loaded config (app/gateway_files.h),
// one "FILE:LINE: key: message" line each (LINE left out for a default).
std::vector<std::string> start_problems(const std::string& file, const config::Config& cfg);

// The keys a TOML config file sets, dotted ("queue.lifetime",
// "routes.example.org"), and the names of its arrays of tables
// ("relay_client"). Empty when the file does not parse.
std::set<std::string> keys_set_in(const std::string& file);

// The lines of a describe() text whose key is in `keys` (quotes around key
// parts ignored); a [[name]] table block is kept whole when `name` is.
std::string only_keys(const std::string& described, const std::set<std::string>& keys);

}  // namespace sm::app
