// commands.cpp - CLI11 dispatcher for the securemail subcommands.
#include "app/commands.h"

#include <CLI/CLI.hpp>

namespace sm::app {

int main(int argc, char** argv) {
  CLI::App app{"SecureMail: signed and encrypted email between organisations' gateways"};
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}

}  // namespace sm::app
