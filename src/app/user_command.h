// user_command.h - `securemail user ...`: the mailbox accounts of
// DATA/accounts.sqlite (add, passwd, disable, enable, delete, list, show,
// address add|remove, totp enrol|remove, device add|list|revoke,
// flag set|clear, check). Passwords come from --password-file (first line)
// or the terminal without echo, never from argv; device passwords, TOTP
// seeds and recovery codes are printed once, when made.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_user_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
