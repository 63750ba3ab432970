// router.h - which next hop a recipient's mail takes.
//
// Our own domains go to [deliver] internal; any other domain to its
// [routes] entry, else [routes] default ("mx" means the domain's MX).
#pragma once

#include <string>

#include "config/config.h"
#include "delivery/transport.h"

namespace sm::gateway {

delivery::NextHop next_hop_for(const config::Config& config, const std::string& recipient);

// config::Target as a delivery::NextHop; for mx, domain is the host to look up.
delivery::NextHop to_next_hop(const config::Target& target, const std::string& domain);

}  // namespace sm::gateway
