// user_parts.h - what the files of `securemail user` share (internal to
// the app module): the parsed arguments, opening the account store of the
// configured data folder, reading a password, and an account as JSON.
// user_command.cpp: accounts and addresses; user_secrets_command.cpp:
// TOTP, devices, flags and the check.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "auth/accounts.h"
#include "config/config.h"
#include "pki/key.h"

namespace sm::app::user {

struct Args {
  std::string config_file;
  std::string account;
  std::vector<std::string> addresses;
  std::string address;
  std::string password_file;
  std::string png;
  std::string device;
  std::string flag;
  std::string level;
  std::string by;
  bool json = false;
};

// The config and the open store; nullopt after printing why (*rc set: 2 bad config, 1 failed).
struct Opened {
  config::Config config;
  std::unique_ptr<auth::AccountStore> store;
};
std::optional<Opened> open(const Args& args, std::string_view what, int* rc);

// Open, run `change`, print `done` on stdout: 0; or print why: 1 (2 for a bad config).
int apply(const Args& args, std::string_view what, const std::function<Result<>(Opened&)>& change,
          const std::string& done);

// --password-file's first line, or the terminal without echo (confirm:
// asked twice). The error tells the user to pass --password-file.
Result<pki::Passphrase> read_password(const Args& args, std::string_view prompt, bool confirm);

// Register `cmd` to run `run(args)` when chosen.
void on_run(CLI::App* cmd, const std::shared_ptr<Args>& args, std::function<int()>& action,
            int (*run)(const Args&));

// The TOTP, device, flag and check subcommands (user_secrets_command.cpp).
void add_secret_commands(CLI::App* user, const std::shared_ptr<Args>& args, std::function<int()>& action);

}  // namespace sm::app::user
