// pki_command.h - `securemail pki ...`: the SecureMail authority's side of
// the PKI: create the authority, issue gateway certificates, revoke them,
// publish the CRL, list what was issued.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

// Adds the pki subcommand; `action` receives the work to run after parsing.
void add_pki_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
