// smime_command.h - `securemail smime seal | sign | open | verify`: one
// message by hand through the S/MIME engine, with the gateway's keys and
// trust, for diagnostics and interop checks.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_smime_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
