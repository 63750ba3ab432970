// router.h - which next hop a recipient's mail takes.
//
// Plain mail: our own domains go to [deliver] internal; any other domain to
// its [routes] entry, else [routes] default ("mx" means the domain's MX).
// Mail sealed for a member goes only to that member's gateway, as the
// directory lists it (endpoints in order, TLS pinned to its certificates);
// never to [routes], never anywhere else.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "delivery/transport.h"
#include "directory/directory.h"
#include "gateway/member_certs.h"
#include "util/error.h"

namespace sm::gateway {

delivery::NextHop next_hop_for(const config::Config& config, const std::string& recipient);

// config::Target as a delivery::NextHop; for mx, domain is the host to look up.
delivery::NextHop to_next_hop(const config::Target& target, const std::string& domain);

// Where a copy sealed for a member goes.
struct MemberRoute {
  std::vector<delivery::NextHop> hops;     // smtp hops from Member::endpoints, in directory order
  std::vector<std::string> pinned_sha256;  // every certificate the directory lists for the member; never empty
};

// The member must be in the directory (may be null: none) and active, with
// at least one usable endpoint and certificate. Every error is temporary
// 4.7.5 naming the member: the mail waits in the queue (and bounces only
// when the queue lifetime runs out) until the directory says otherwise.
Result<MemberRoute> member_route(const directory::Directory* directory, std::string_view member_id,
                                 MemberCertificates& certificates);

}  // namespace sm::gateway
