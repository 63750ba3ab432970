// config_view.cpp - describe()'s TOML as redacted JSON (config_view.h).
#include "admin/config_view.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <sstream>

namespace sm::admin {
namespace {

// A word of these makes a key secret.
constexpr std::array<std::string_view, 9> kSecretWords = {"password",   "passwd",      "passphrase", "secret", "token",
                                                          "credential", "credentials", "psk",        "seed"};
// The last word "key" is key material (signing_key), unless the key is one
// of these, which name a file.
constexpr std::array<std::string_view, 2> kPathKeys = {"tls.key", "pickup.key"};
constexpr std::array<std::string_view, 4> kPathWords = {"file", "path", "dir", "folder"};
// Keys with a secret's word that say where a secret goes, not what it is.
constexpr std::array<std::string_view, 1> kRouteKeys = {"pickup.pdf_password_to"};

std::vector<std::string> words_of(std::string_view name) {
  std::vector<std::string> out(1);
  for (char ch : name) {
    if (ch == '_' || ch == '-') out.emplace_back();
    else out.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return out;
}

template <std::size_t N>
bool among(const std::array<std::string_view, N>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

nlohmann::json value_json(const toml::node& node, const std::string& path, ConfigView& view);

nlohmann::json table_json(const toml::table& table, const std::string& prefix, ConfigView& view) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, node] : table) {
    std::string key(k.str());
    std::string path = prefix.empty() ? key : prefix + "." + key;
    if (secret_key(path)) {
      out[key] = kRedacted;
      view.redacted.push_back(path);
    } else {
      out[key] = value_json(node, path, view);
    }
  }
  return out;
}

nlohmann::json value_json(const toml::node& node, const std::string& path, ConfigView& view) {
  if (const auto* t = node.as_table()) return table_json(*t, path, view);
  if (const auto* a = node.as_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : *a) out.push_back(value_json(item, path, view));
    return out;
  }
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return i->get();
  if (const auto* f = node.as_floating_point()) return f->get();
  if (const auto* b = node.as_boolean()) return b->get();
  std::ostringstream text;  // dates and times
  node.visit([&text](const auto& v) { text << v; });
  return text.str();
}

}  // namespace

bool secret_key(std::string_view dotted_key) {
  if (among(kPathKeys, dotted_key) || among(kRouteKeys, dotted_key)) return false;
  auto dot = dotted_key.rfind('.');
  auto words = words_of(dot == std::string_view::npos ? dotted_key : dotted_key.substr(dot + 1));
  if (among(kPathWords, words.back())) return false;
  if (words.back() == "key") return true;
  return std::any_of(words.begin(), words.end(), [](const std::string& w) { return among(kSecretWords, w); });
}

Result<ConfigView> config_view(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return local_error("the described config does not parse at line " +
                       std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  ConfigView view;
  view.settings = table_json(root, "", view);
  return view;
}

Result<ConfigView> config_view(const config::Config& config) { return config_view(config::describe(config)); }

}  // namespace sm::admin
