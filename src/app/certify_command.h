// certify_command.h - `securemail certify`: certify a member gateway with
// the battery of a requirements profile (certify/runner.h) and write the
// report; `certify serve` runs the facility's gateway; `certify cases` and
// `certify profiles` print the catalogue and the profiles.
//
// Exit status: 0 when no required case failed, 1 when one did, 2 when no
// run could be made (bad usage, unknown profile, a target that is not a
// member or does not answer, a facility that is not running or whose own
// certificate expired). Exit 2 writes one line on stderr and no report.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_certify_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
