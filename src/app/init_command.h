// init_command.h - `securemail init`: a new gateway data folder with its
// keys, certificates from the authority, the authority's trust anchor and
// CRL, and a config.toml that `securemail run --config` accepts.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace sm::app {

void add_init_command(CLI::App& app, std::function<int()>& action);

// What `securemail init` is given (also used by `securemail testnet`).
struct InitArgs {
  std::vector<std::string> domains;
  std::string authority, data, key_type, admin, org, passphrase_file, hostname;
  std::vector<std::string> also;
  int days = 0;
};
// Make the gateway data folder; 0, 1 or 2 as the command would exit.
int run_init(InitArgs a);

}  // namespace sm::app
