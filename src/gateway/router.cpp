// router.cpp - recipient domain -> next hop; member id -> member gateway.
#include "gateway/router.h"

#include "mail/envelope.h"

namespace sm::gateway {

delivery::NextHop to_next_hop(const config::Target& target, const std::string& domain) {
  delivery::NextHop hop;
  switch (target.kind) {
    case config::Target::Kind::mx:
      hop.kind = delivery::NextHop::Kind::mx;
      hop.host = domain;
      break;
    case config::Target::Kind::smtp:
    case config::Target::Kind::lmtp:
      hop.kind = target.kind == config::Target::Kind::smtp ? delivery::NextHop::Kind::smtp
                                                           : delivery::NextHop::Kind::lmtp;
      hop.host = target.host;
      hop.port = target.port;
      break;
    case config::Target::Kind::maildir:
      hop.kind = delivery::NextHop::Kind::maildir;
      hop.maildir = target.path;
      break;
  }
  return hop;
}

delivery::NextHop next_hop_for(const config::Config& config, const std::string& recipient) {
  std::string domain = mail::domain_of(recipient);
  if (config.receives_for(domain)) return to_next_hop(config.deliver.internal, domain);
  return to_next_hop(config.routes.for_domain(domain), domain);
}

Result<MemberRoute> member_route(const directory::Directory* directory, std::string_view member_id,
                                 MemberCertificates& certificates) {
  std::string name = "member " + std::string(member_id);
  const directory::Member* member = directory ? directory->find_id(member_id) : nullptr;
  if (!member) return fail(451, "4.7.5", name + " is not in the directory");
  if (member->status != directory::Status::active) return fail(451, "4.7.5", name + " is suspended");
  auto certs = certificates.of(*member);
  if (!certs) return std::unexpected(certs.error());
  MemberRoute route;
  for (const auto& c : *certs) route.pinned_sha256.push_back(c.sha256);
  // Endpoints are "host:port" or "[v6]:port", as smtp:// targets write them.
  for (const auto& endpoint : member->endpoints)
    if (auto hop = delivery::parse_next_hop("smtp://" + endpoint); hop) route.hops.push_back(std::move(*hop));
  if (route.hops.empty()) return fail(451, "4.7.5", name + " lists no usable gateway endpoint in the directory");
  return route;
}

}  // namespace sm::gateway
