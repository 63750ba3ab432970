// evidence_command.h - `securemail evidence export|purge`: the kept
// evidence of one message written out for a third party to check with the
// openssl command line, and retention applied by hand (the daemon also
// does it daily). Needs the gateway's keys (DATA/pki) to decrypt.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_evidence_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
