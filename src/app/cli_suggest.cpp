// cli_suggest.cpp - see cli_suggest.h. Walks the words as CLI11 would:
// options (and the value of an option that takes one) are skipped, a
// subcommand name descends into it, and the first other word where the
// command has subcommands is the unknown one.
#include "app/cli_suggest.h"

#include "util/edit_distance.h"

namespace sm::app {

std::optional<std::string> unknown_command(CLI::App& app, const std::vector<std::string>& args) {
  CLI::App* at = &app;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") return std::nullopt;
    if (word.starts_with("-")) {
      if (word.find('=') != std::string::npos) continue;
      const CLI::Option* opt = at->get_option_no_throw(word);
      if (opt && opt->get_type_size() > 0) ++i;  // its value
      continue;
    }
    auto subs = at->get_subcommands([](CLI::App*) { return true; });
    if (subs.empty()) return std::nullopt;
    CLI::App* next = nullptr;
    for (auto* s : subs)
      if (s->check_name(word)) next = s;
    if (next) {
      at = next;
      continue;
    }
    std::string best;
    std::size_t best_distance = 3;
    for (auto* s : subs)
      if (auto d = edit_distance(word, s->get_name()); d < best_distance) {
        best_distance = d;
        best = s->get_name();
      }
    std::string line = "securemail: unknown command \"" + word + "\"";
    return best.empty() ? line : line + "; did you mean \"" + best + "\"?";
  }
  return std::nullopt;
}

}  // namespace sm::app
