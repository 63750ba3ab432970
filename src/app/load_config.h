// load_config.h - load the config named on the command line (or the
// embedded default), printing errors to stderr in "FILE:LINE: key: ..." form.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"

namespace sm::app {

// nullopt after printing the error; callers exit 2 (bad config).
std::optional<config::Config> load_config(const std::string& file);

}  // namespace sm::app
