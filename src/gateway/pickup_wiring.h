// pickup_wiring.h - secure pickup on `securemail run` when [pickup] is set
// (issue 18, docs/pickup.md): the service (pickup/service.h) in
// DATA/pickup; the notifications, sign-in codes and sender notices it
// writes queued as local mail, each committed before it returns (a code
// the page says was sent is in the queue); the delivery agent's pickup
// copies (Envelope::pickup) handed to it; replies from the page queued
// per route (our domains to the organisation, anyone else held for pickup
// again); the pages on [pickup] listen
// over HTTPS with [pickup] cert/key or the gateway's TLS pair, the link
// token never in a log line.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "admin/web_https.h"
#include "config/config.h"
#include "gateway/delivery_agent.h"
#include "pickup/service.h"
#include "queue/spool.h"
#include "util/error.h"

namespace sm::gateway {

// A reply from the pickup page, routed: recipients in our own domains as
// local mail to the organisation; anyone else (reply-all) held for secure
// pickup again (Envelope::pickup), never plain. A member participant is
// held for pickup too: a reply From: an outsider cannot be signed for a
// member (the receiving gateway checks that the signer owns the From:
// domain). The envelope sender is the reply's author; one envelope per
// route, none for a route without recipients.
std::vector<mail::Envelope> reply_routes(const config::Config& config, const pickup::Reply& r);

class PickupWiring {
 public:
  // null when [pickup] is not configured. committed: called with the queue
  // id of each message it queued (from a worker or HTTPS thread).
  static Result<std::unique_ptr<PickupWiring>> start(const config::Config& config, queue::Spool& spool,
                                                     const std::function<void(const std::string&)>& committed,
                                                     DeliveryAgent& agent, const std::filesystem::path& tls_cert,
                                                     const std::filesystem::path& tls_key,
                                                     std::map<std::string, std::string>& bound);
  PickupWiring(std::unique_ptr<pickup::Service> service);
  pickup::Service& service() { return *service_; }
  void stop() { https_.stop(); }

 private:
  std::unique_ptr<pickup::Service> service_;
  admin::HttpsListener https_;
};

}  // namespace sm::gateway
