// certify_setup.cpp - `securemail certify setup` (see certify_setup.h).
#include "app/certify_setup.h"

#include <algorithm>
#include <expected>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "app/cli_support.h"
#include "app/load_config.h"
#include "certify/fixtures.h"
#include "config/config.h"
#include "directory/member.h"
#include "directory/registry.h"

namespace sm::app {
namespace {

const char* const kWhat = "certify setup";

struct SetupArgs {
  std::string config_file, authority, passphrase_file, endpoint, strip_endpoint, badtls_endpoint;
};

bool wildcard(const std::string& host) { return host == "0.0.0.0" || host == "::" || host == "*"; }

// Where members reach the decoy `name` that listens at `listen`: `given`,
// else `listen` itself unless that is a wildcard; an error when neither
// will do; nullopt when the decoy is not configured.
std::optional<std::expected<std::string, std::string>> decoy_endpoint(const char* name, const config::Endpoint& listen,
                                                                      const std::string& given) {
  if (!listen.enabled()) return std::nullopt;
  if (!given.empty()) {
    auto e = config::parse_endpoint(given, false);
    if (!e) return std::unexpected("--" + std::string(name) + "-endpoint " + given + ": " + e.error());
    return e->str();
  }
  if (wildcard(listen.host) || listen.port == 0)
    return std::unexpected(std::string("[facility] ") + name + " listens on " + listen.str() +
                           ", which members cannot reach: give --" + name + "-endpoint HOST:PORT");
  return listen.str();
}

int setup(const SetupArgs& a) {
  auto cfg = load_config(a.config_file);
  if (!cfg) return 2;
  auto registry = directory::Registry::open(a.authority);
  if (!registry) return cannot_run(kWhat, registry.error().text);
  auto members = registry->list();
  if (!members) return cannot_run(kWhat, members.error().text);
  const directory::Member* facility = nullptr;
  for (const auto& m : *members)
    if (std::find(m.domains.begin(), m.domains.end(), cfg->domain) != m.domains.end()) facility = &m;
  if (!facility || !facility->has(directory::kCapFacility))
    return cannot_run(kWhat, cfg->domain + " is not a member with the capability " + std::string(directory::kCapFacility) +
                  " in " + a.authority + " (add it: securemail directory add ... --capability " +
                  std::string(directory::kCapFacility) + ")");
  std::string endpoint = a.endpoint;
  if (endpoint.empty() && !facility->endpoints.empty()) endpoint = facility->endpoints.front();
  if (auto e = config::parse_endpoint(endpoint, false); !e)
    return cannot_run(kWhat, "the fixtures' endpoint \"" + endpoint + "\": " + e.error() + " (give --endpoint HOST:PORT)");

  std::vector<std::pair<std::string, std::string>> decoys;
  for (auto [name, listen, given] : {std::tuple{"strip", cfg->facility.strip, a.strip_endpoint},
                                     std::tuple{"badtls", cfg->facility.badtls, a.badtls_endpoint}}) {
    auto at = decoy_endpoint(name, listen, given);
    if (!at) {
      std::cout << "no [facility] " << name << " listener: no decoy member for it (its case is not run)\n";
      continue;
    }
    if (!*at) return cannot_run(kWhat, at->error());
    decoys.emplace_back(name, **at);
  }
  auto authority = open_authority(a.authority, a.passphrase_file);
  if (!authority) return cannot_run(kWhat, authority.error().text);
  auto made = certify::make_fixtures(*authority, a.authority, cfg->data_dir,
                                     {cfg->domain, endpoint, facility->jurisdiction, std::move(decoys)});
  if (!made) return cannot_run(kWhat, made.error().text);
  for (const auto& f : *made)
    std::cout << "made " << f.member_id << " at " << f.domain << ": " << f.spec.what << " (" << f.spec.case_id << ")\n";
  std::cout << "keys in " << certify::fixtures_folder(cfg->data_dir).string()
            << "\npublish them: securemail directory publish --authority " << a.authority << "\n";
  return 0;
}

}  // namespace

void add_certify_setup(CLI::App* certify, std::function<int()>& action) {
  auto a = std::make_shared<SetupArgs>();
  auto* s = certify->add_subcommand("setup", "Make the certification fixtures and decoy members (on the authority's host)");
  s->add_option("-c,--config", a->config_file, "The facility's config file")->required();
  s->add_option("--authority", a->authority, "The authority folder")->required();
  s->add_option("--passphrase-file", a->passphrase_file,
                "The authority key's passphrase, first line of this file (default: terminal prompt when encrypted)");
  s->add_option("--endpoint", a->endpoint, "HOST:PORT the fixtures list (default: the facility's directory entry's)");
  s->add_option("--strip-endpoint", a->strip_endpoint, "HOST:PORT where members reach [facility] strip");
  s->add_option("--badtls-endpoint", a->badtls_endpoint, "HOST:PORT where members reach [facility] badtls");
  s->callback([&action, a] { action = [a] { return setup(*a); }; });
}

}  // namespace sm::app
