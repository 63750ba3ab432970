// cli_suggest.h - "did you mean" for a mistyped subcommand at any level:
// `securemail queu list` -> securemail: unknown command "queu"; did you mean "queue"?
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sm::app {

// After a failed parse of args (argv without the program name): the
// "unknown command" line for the first word that is not a subcommand where
// the command reached has subcommands, with the closest name (edit distance
// at most 2) when there is one. nullopt when no word was taken for a command.
std::optional<std::string> unknown_command(CLI::App& app, const std::vector<std::string>& args);

}  // namespace sm::app
