// throttle_config.h - the Throttle's limits from the [auth] section, so
// every listener that checks sign-ins (submission, the self-service page)
// counts failures with the same numbers.
#pragma once

#include "auth/throttle.h"
#include "config/config.h"

namespace sm::auth {

ThrottleLimits throttle_limits(const config::Config::Auth& a);

}  // namespace sm::auth
