// throttle_config.cpp - [auth] keys to ThrottleLimits (see throttle_config.h);
// first_delay and max_delay keep their defaults (docs/mailboxes.md).
#include "auth/throttle_config.h"

namespace sm::auth {

ThrottleLimits throttle_limits(const config::Config::Auth& a) {
  ThrottleLimits l;
  l.account_delay_after = a.delay_after;
  l.account_lock = a.account_lock;
  l.client_lock = a.client_lock;
  l.window = a.window;
  l.lock_time = a.lock_time;
  return l;
}

}  // namespace sm::auth
