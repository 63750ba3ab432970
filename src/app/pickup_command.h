// pickup_command.h - `securemail pickup list|revoke`: the messages kept
// for secure pickup on this gateway, and withdrawing one (its key dropped
// and content erased at once; the page says so on the next request, and
// the running gateway tells the sender on its next sweep, within a minute).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_pickup_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
