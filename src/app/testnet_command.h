// testnet_command.h - `securemail testnet`: a complete local test network
// (an authority, one gateway per domain, a signed directory feed) in one folder.
// build_testnet is also what `securemail demo` stands on.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace sm::app {

struct TestnetArgs {
  std::string dir, domains, key_type;
  int base_port = 20000;  // 0: a free block on 127.0.0.1, chosen now
  bool with_facility = false;  // add the certification facility's gateway (kFacilityDomain), last
};

// The domain of the certification facility `--with-facility` adds.
inline constexpr const char* kFacilityDomain = "facility.example";

// One gateway of the network: DIR/<domain> is its data folder and holds its
// config.toml; gateway i listens on 127.0.0.1 relay, inbound, admin.
struct TestnetNode {
  std::string domain;
  std::filesystem::path data;
  int relay = 0, inbound = 0, admin = 0;
  bool facility = false;  // the certification facility (certify serve)
  std::filesystem::path config() const { return data / "config.toml"; }
};

struct Testnet {
  std::filesystem::path dir, authority, feed;  // absolute
  std::vector<TestnetNode> gateways;           // in --domains order
};

// Build the network; messages (init's summary, errors) go to std::cout and
// std::cerr. Returns the exit code (0, 1 failed, 2 bad usage); *net is set on 0.
int build_testnet(const TestnetArgs& args, Testnet* net);

void add_testnet_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
