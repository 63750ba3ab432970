// local_recipients.h - the RecipientCheck behind [deliver] recipients =
// "verify" (delivery/recipient_check.h), made from the config: the
// internal target, the accounts database for a Maildir, and the addresses
// the gateway always takes (postmaster@ and abuse@ at each of our domains,
// the admin contact, the receipt address and the test agent).
#pragma once

#include <memory>

#include "config/config.h"
#include "delivery/recipient_check.h"
#include "util/error.h"

namespace sm::gateway {

// Null when [deliver] recipients = "any". An accounts database that does
// not open is an error (the gateway does not start).
Result<std::unique_ptr<delivery::RecipientCheck>> local_recipient_check(const config::Config& config);

}  // namespace sm::gateway
