// load_config.cpp - config loading shared by the subcommands.
#include "app/load_config.h"

#include <iostream>

namespace sm::app {

std::optional<config::Config> load_config(const std::string& file) {
  if (file.empty()) return config::embedded_default();
  auto c = config::load_file(file);
  if (!c) {
    std::cerr << c.error() << (c.error().ends_with("\n") ? "" : "\n");
    return std::nullopt;
  }
  return std::move(*c);
}

}  // namespace sm::app
