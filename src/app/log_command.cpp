// log_command.cpp - `securemail log hash [-c CONFIG] ADDRESS...`: prints
// each address as the log writes it ("h:3f2a9c01b7de@agency.govt.nz"),
// one a line, under the key in the config's DATA/log.key. Never makes the
// key: without one, nothing in any log was hashed with it.
#include "app/log_command.h"

#include <iostream>

#include "app/load_config.h"
#include "app/log_key.h"
#include "util/log.h"

namespace sm::app {
namespace {

int print_hashes(const std::string& file, const std::vector<std::string>& addresses) {
  auto cfg = load_config(file);
  if (!cfg) return 2;
  auto key = log_key(cfg->data_dir, false);
  if (!key) {
    std::cerr << "securemail log hash: " << key.error().text << "\n";
    return 1;
  }
  int rc = 0;
  for (const auto& address : addresses) {
    auto at = address.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == address.size()) {
      std::cerr << "securemail log hash: not an address (local@domain): " << address << "\n";
      rc = 2;
      continue;
    }
    std::cout << log::address_hash(*key, address) << address.substr(at) << "\n";
  }
  return rc;
}

}  // namespace

void add_log_command(CLI::App& app, std::function<int()>& action) {
  CLI::App* log_cmd = app.add_subcommand("log", "The operational log's privacy ([log], docs/privacy.md)");
  log_cmd->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto addresses = std::make_shared<std::vector<std::string>>();
  CLI::App* hash = log_cmd->add_subcommand("hash", "Print the hash ADDRESS is written as with [log] addresses = \"hashed\"");
  hash->add_option("-c,--config", *file, "Config file (its data folder holds log.key)");
  hash->add_option("address", *addresses, "local@domain")->required();
  hash->callback([&action, file, addresses] {
    action = [file, addresses]() -> int { return print_hashes(*file, *addresses); };
  });
}

}  // namespace sm::app
