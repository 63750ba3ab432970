// app_cli_suggest_test.cpp - "did you mean" for a mistyped subcommand at
// any level, options and their values skipped, nothing for far words.
#include <gtest/gtest.h>

#include "app/cli_suggest.h"

using namespace sm;

namespace {
struct Tree {
  CLI::App app{"t"};
  std::string config;
  Tree() {
    auto* queue = app.add_subcommand("queue");
    queue->add_option("-c,--config", config);
    queue->add_subcommand("list");
    queue->add_subcommand("show")->add_option("id");
    app.add_subcommand("doctor");
  }
  std::optional<std::string> ask(std::vector<std::string> args) { return app::unknown_command(app, args); }
};
}  // namespace

TEST(CliSuggest, TopLevel) {
  Tree t;
  EXPECT_EQ(t.ask({"queu", "list"}), "securemail: unknown command \"queu\"; did you mean \"queue\"?");
  EXPECT_EQ(t.ask({"doctr"}), "securemail: unknown command \"doctr\"; did you mean \"doctor\"?");
  EXPECT_EQ(t.ask({"zzzzzzzz"}), "securemail: unknown command \"zzzzzzzz\"");
}

TEST(CliSuggest, NestedAfterOptions) {
  Tree t;
  EXPECT_EQ(t.ask({"queue", "lst"}), "securemail: unknown command \"lst\"; did you mean \"list\"?");
  EXPECT_EQ(t.ask({"queue", "--config", "shw", "shw"}),
            "securemail: unknown command \"shw\"; did you mean \"show\"?");
  EXPECT_EQ(t.ask({"queue", "--config=x", "lis"}), "securemail: unknown command \"lis\"; did you mean \"list\"?");
}

TEST(CliSuggest, NothingForKnownCommandsOrPositionals) {
  Tree t;
  EXPECT_EQ(t.ask({"queue", "show", "lst"}), std::nullopt);  // show takes an id
  EXPECT_EQ(t.ask({"queue", "list", "--bogus"}), std::nullopt);
  EXPECT_EQ(t.ask({}), std::nullopt);
}
