// sovereignty_check.cpp - [sovereignty] data and routes against approved.
#include "gateway/sovereignty_check.h"

#include <algorithm>

#include "util/log.h"

namespace sm::gateway {
namespace {

bool approved(const config::SovereigntyConfig& s, const std::string& jurisdiction) {
  return std::find(s.approved.begin(), s.approved.end(), jurisdiction) != s.approved.end();
}

std::string approved_list(const config::SovereigntyConfig& s) {
  std::string list;
  for (const auto& j : s.approved) list += (list.empty() ? "" : ", ") + j;
  return list.empty() ? "none" : list;
}

// "default" or "\"partner.example\"": a key as written in the TOML file.
std::string route_key(const std::string& name) { return name == "default" ? name : "\"" + name + "\""; }

}  // namespace

std::vector<std::string> sovereignty_warnings(const config::Config& config) {
  const auto& s = config.sovereignty;
  std::vector<std::string> warnings;
  std::string outside = ", outside the approved jurisdictions (sovereignty.approved: " + approved_list(s) + ")";
  if (!approved(s, s.data))
    warnings.push_back("sovereignty: sovereignty.data = \"" + s.data + "\": the data folder " +
                       config.data_dir.string() + " (queue, evidence, logs) is declared in " + s.data + outside);
  std::vector<std::string> names;
  for (const auto& [name, jurisdiction] : s.routes)
    if (!approved(s, jurisdiction)) names.push_back(name);
  std::stable_partition(names.begin(), names.end(), [](const std::string& n) { return n == "default"; });
  for (const auto& name : names) {
    std::string key = route_key(name);
    const config::Target* target = name == "default" ? &config.routes.fallback : nullptr;
    if (auto it = config.routes.by_domain.find(name); it != config.routes.by_domain.end()) target = &it->second;
    std::string via = target ? " (" + target->str() + ")" : " (no [routes] entry: that mail takes routes.default)";
    warnings.push_back("sovereignty: routes." + key + via + " is declared in " + s.routes.at(name) +
                       " by sovereignty.routes." + key + outside);
  }
  return warnings;
}

void warn_sovereignty(const config::Config& config) {
  for (const auto& w : sovereignty_warnings(config)) log::warn("{}", w);
}

}  // namespace sm::gateway
