// log_command.h - `securemail log hash ADDRESS`: the hash an address is
// written as in a log with [log] addresses = "hashed", to follow one
// person's mail through the log (grep for it) without naming anyone else.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_log_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
