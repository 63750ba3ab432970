// router.cpp - recipient domain -> next hop.
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

}  // namespace sm::gateway
