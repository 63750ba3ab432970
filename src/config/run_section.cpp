// run_section.cpp - [run]: the unprivileged account `securemail run`
// switches to after binding its listeners (user, group).
//
// Only the syntax is checked here (a POSIX account name: letters, digits,
// ".", "_", "-", not starting with "-"; "" means no switch); whether the account exists is
// checked when the gateway starts, because this module reads nothing but
// the config file.
#include <algorithm>

#include "config/loader.h"

namespace sm::config {
namespace {

bool account_name(std::string_view name) {
  return !name.empty() && name.size() <= 32 && name.front() != '-' &&
         std::all_of(name.begin(), name.end(), [](unsigned char ch) {
           return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '.' || ch == '_' || ch == '-';
         });
}

}  // namespace

namespace detail {

void Loader::read_run(Section& root, Config& c) {
  Section r = section(root, "run");
  for (auto [k, field] : {std::pair{"user", &c.run.user}, std::pair{"group", &c.run.group}}) {
    std::size_t before = errors_.size();
    *field = text(r, k, "");
    if (errors_.size() == before && !field->empty() && !account_name(*field))
      error(line_of(key(r, k)), key(r, k),
            "bad account name " + quote(*field) + " (letters, digits, \".\", \"_\", \"-\"; at most 32)");
  }
  if (c.run.user.empty() && !c.run.group.empty())
    error(line_of("run.group"), "run.group", "needs run.user: the gateway switches group only together with user");
  finish(r);
}

std::string describe_run(const Config& c) {
  std::string o = "run.user = " + quote(c.run.user) +
                  (c.run.user.empty() ? "  # stay as started (a warning when that is root)" : "") + "\n";
  o += "run.group = " + quote(c.run.group) + (c.run.group.empty() ? "  # the user's primary group" : "") + "\n";
  return o;
}

}  // namespace detail
}  // namespace sm::config
