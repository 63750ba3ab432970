// demo_command.h - `securemail demo`: two testnet gateways on loopback and
// one message from alice@a.example to bob@b.example, shown step by step
// (looked up, signed, encrypted, sent over TLS, received, decrypted,
// verified, delivered) with the delivered message's Authentication-Results.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

void add_demo_command(CLI::App& app, std::function<int()>& action);

}  // namespace sm::app
