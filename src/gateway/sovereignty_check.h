// sovereignty_check.h - the start-up warnings of [sovereignty]: the data
// folder, or a [routes] entry, declared in a jurisdiction that is not
// approved. One warning per entry, naming its config key, so the operator
// sees at every start where mail or its records leave the approved
// jurisdictions (the refusals themselves are policy::Engine's).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace sm::gateway {

// The warnings, in a fixed order: sovereignty.data first, then the
// declared routes by key ("default" first, then domains in order).
std::vector<std::string> sovereignty_warnings(const config::Config& config);

// Logs each warning (log::warn).
void warn_sovereignty(const config::Config& config);

}  // namespace sm::gateway
