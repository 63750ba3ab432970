// config_command.cpp - `securemail config check` and `securemail config show`.
//
// check: loads the file (every loader error, "FILE:LINE: key: ..."), then
// what a start checks without binding a port (app/gateway_files.h), each
// problem as "FILE:LINE: key: message" (LINE of the key in the file, left
// out for a key at its default). Exit 0 with "FILE: ok", 2 otherwise.
// show: config::describe() - the same text `securemail run` prints at
// start-up, which never holds a secret (keys are files, passphrases come
// from files or the terminal) - all of it, or with -n only what the file sets.
#include "app/config_command.h"

#include <toml++/toml.h>

#include <iostream>
#include <sstream>

#include "app/gateway_files.h"
#include "app/load_config.h"

namespace sm::app {
namespace {

void collect(const toml::table& t, const std::string& prefix, std::set<std::string>& keys) {
  for (const auto& [k, node] : t) {
    std::string name = prefix + std::string(k.str());
    if (const auto* sub = node.as_table()) {
      collect(*sub, name + ".", keys);
    } else if (const auto* arr = node.as_array(); arr && arr->is_array_of_tables()) {
      keys.insert(name);
      for (const auto& item : *arr) collect(*item.as_table(), name + ".", keys);
    } else {
      keys.insert(name);
    }
  }
}

// The line of a dotted key in the file, 0 when it is not there.
std::uint32_t line_of(const toml::table& root, const std::string& key) {
  auto node = root.at_path(key);
  return node ? node.node()->source().begin.line : 0;
}

int check(const std::string& file) {
  auto cfg = load_config(file);
  if (!cfg) return 2;
  auto problems = start_problems(file, *cfg);
  for (const auto& p : problems) std::cerr << p << "\n";
  if (!problems.empty()) return 2;
  std::cout << file << ": ok\n";
  return 0;
}

int show(const std::string& file, bool only_set) {
  auto cfg = load_config(file);
  if (!cfg) return 2;
  std::string text = config::describe(*cfg);
  std::cout << (only_set ? only_keys(text, keys_set_in(file)) : text) << std::flush;
  return 0;
}

// "routes.\"example.org\"" -> "routes.example.org"
std::string unquoted(std::string_view key) {
  std::string out;
  for (char ch : key)
    if (ch != '"') out += ch;
  return out;
}

}  // namespace

std::vector<std::string> start_problems(const std::string& file, const config::Config& cfg) {
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error&) {  // the caller parsed it already
  }
  std::vector<std::string> out;
  for (const auto& p : check_start_files(cfg))
    out.push_back(file + ":" + (line_of(root, p.key) ? std::to_string(line_of(root, p.key)) + ":" : "") + " " + p.key +
                  ": " + p.message);
  return out;
}

std::set<std::string> keys_set_in(const std::string& file) {
  std::set<std::string> keys;
  try {
    collect(toml::parse_file(file), "", keys);
  } catch (const toml::parse_error&) {
  }
  return keys;
}

std::string only_keys(const std::string& described, const std::set<std::string>& keys) {
  std::istringstream in(described);
  std::string out, line, table;  // table: the [[name]] block we are in
  bool keep_table = false;
  while (std::getline(in, line)) {
    if (line.starts_with("[[") && line.ends_with("]]")) {
      table = line.substr(2, line.size() - 4);
      keep_table = keys.contains(table);
      if (keep_table) out += "\n" + line + "\n";
      continue;
    }
    auto eq = line.find(" = ");
    if (line.empty() || line.starts_with("#") || eq == std::string::npos) continue;
    if (table.empty() ? keys.contains(unquoted(line.substr(0, eq))) : keep_table) out += line + "\n";
  }
  return out;
}

void add_config_command(CLI::App& app, std::function<int()>& action) {
  CLI::App* cmd = app.add_subcommand("config", "Check a config file, or show its effective settings");
  cmd->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto only_set = std::make_shared<bool>(false);

  CLI::App* chk = cmd->add_subcommand("check", "Validate a config file and what a start would check (no port bound)");
  chk->add_option("-c,--config", *file, "The config file")->required();
  chk->callback([&action, file] { action = [file] { return check(*file); }; });

  CLI::App* sh = cmd->add_subcommand("show", "Every effective setting with defaults (like postconf)");
  sh->add_option("-c,--config", *file, "The config file")->required();
  sh->add_flag("-n", *only_set, "Only the settings the file sets (like postconf -n)");
  sh->callback([&action, file, only_set] { action = [file, only_set] { return show(*file, *only_set); }; });
}

}  // namespace sm::app
