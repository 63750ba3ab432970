// mailhost_command.h - `securemail mailhost init | checkpassword`: IMAP
// for the gateway's Maildirs through Dovecot, signing in with SecureMail
// accounts (docs/mailboxes.md, "IMAP through Dovecot").
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_mailhost_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
