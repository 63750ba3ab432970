// queue_command.h - `securemail queue ...`: the operator's view of the
// queue (like postqueue/postsuper), on a running or a stopped gateway.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

// Adds the queue subcommand; `result` receives the exit code when it ran.
void add_queue_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
