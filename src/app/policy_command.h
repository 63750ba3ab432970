// policy_command.h - `securemail policy test`: what the policy engine
// decides for each recipient of a message, and why (like Exim's address
// testing, `exim -bt`). The message is built from --subject, --header and
// --body-file, or read whole with --message; it is scanned as the gateway
// scans it and decided against the directory replica the gateway would
// use. Exit 0 when the policy could be evaluated, 2 for bad arguments or
// config, 1 when the directory or the message cannot be read.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_policy_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
