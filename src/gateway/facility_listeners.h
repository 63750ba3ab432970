// facility_listeners.h - the certification facility's two decoy
// endpoints (issue 17), opened only by `securemail certify serve`:
//
//   strip   [facility] strip: never offers STARTTLS (ServerOptions::tls
//           null), as if an attacker had stripped it from the EHLO reply
//   badtls  [facility] badtls: offers STARTTLS with a self-signed
//           certificate that no directory lists (made on first start in
//           DATA/certify/badtls/)
//
// Test members below the facility's domain (strip.F, badtls.F,
// certify/fixtures.h) list these as their endpoints, so a target asked to
// send to them connects here. A correct gateway gives up before MAIL (and
// keeps the message queued); every connection, MAIL and RCPT is recorded
// in the observation log, and DATA is refused (554 5.7.0) so no content
// is ever taken in.
#pragma once

#include <asio.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "gateway/listener.h"
#include "gateway/receiver.h"

namespace sm::gateway {

class FacilityListeners {
 public:
  // Binds the listeners that are set; their addresses go into `bound`.
  static Result<std::unique_ptr<FacilityListeners>> open(asio::io_context& io, const config::Config& config,
                                                         const smtp::ServerLimits& limits, Receiver& receiver,
                                                         std::map<std::string, std::string>& bound);
  ~FacilityListeners();
  void start();  // the accept loops

 private:
  struct Decoy;
  asio::io_context* io_ = nullptr;
  std::vector<std::unique_ptr<Decoy>> decoys_;
};

}  // namespace sm::gateway
