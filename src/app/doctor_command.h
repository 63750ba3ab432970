// doctor_command.h - `securemail doctor --config F [--json]`: checks a
// configured gateway (files, keys, certificates, listeners, DNS, the
// directory and its peers, disk) and prints one line per check, OK / WARN
// / FAIL with what is wrong and how to fix it. Exit 0 when nothing
// FAILed, 1 otherwise, 2 for a config that does not load.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_doctor_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
