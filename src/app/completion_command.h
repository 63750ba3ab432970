// completion_command.h - `securemail completion bash` (hidden): prints a
// bash completion script generated from the CLI11 command tree, so it
// always lists the subcommands and options the binary really has. The
// Debian package ships its output as
// /usr/share/bash-completion/completions/securemail (scripts/package.sh).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace sm::app {

// The bash completion script for every visible subcommand and option of `app`.
std::string bash_completion(const CLI::App& app);

void add_completion_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
