// audit_command.h - `securemail audit list|verify`: the audit trail
// (DATA/audit.sqlite, audit/audit.h) as a table or JSON, and the check of
// its hash chain (exit 1 naming the first bad entry). Safe beside a
// running gateway (WAL: readers never block its appends).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_audit_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
