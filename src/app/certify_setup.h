// certify_setup.h - `securemail certify setup`: on the authority's host,
// make the certification fixtures and decoy members (certify/fixtures.h)
// for a facility that is already a member with the capability
// certification-facility, as `testnet --with-facility` does for a test
// network:
//
//   securemail certify setup --config FACILITY.toml --authority AUTH
//       [--passphrase-file F] [--endpoint HOST:PORT]
//       [--strip-endpoint HOST:PORT] [--badtls-endpoint HOST:PORT]
//
// The fixtures' keys go to the facility's DATA/certify/fixtures (copy that
// folder when the facility runs on another host); their members go into
// the authority's registry, published by the next `directory publish`.
// The fixtures' own endpoint is the facility's (--endpoint, default its
// directory entry's first); a decoy's is where the members reach its
// listener ([facility] strip / badtls, or --strip-endpoint and
// --badtls-endpoint when those listen on a wildcard address). Exit 0 when
// made, 2 with one line when nothing was made (not a facility member, a
// decoy without a reachable endpoint, fixtures made already, an authority
// that does not open).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace sm::app {

// Adds `setup` below the `certify` command.
void add_certify_setup(CLI::App* certify, std::function<int()>& action);

}  // namespace sm::app
