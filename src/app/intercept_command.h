// intercept_command.h - `securemail intercept add|list|remove`: lawful
// interception orders (policy/intercept.h), entered by an officer named in
// [intercept] officers after a strong sign-in (password, then the current
// TOTP code: from the terminal, or two lines on stdin when it is not one).
// Every order change, and every refused sign-in, is an audit entry.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_intercept_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
