// facility.h - the certification facility's test addresses (issue 17,
// docs/certification.md "The facility"), active only in `securemail
// certify serve`. On the facility's primary domain F:
//
//   refuse@F     550 5.7.1 at RCPT, always
//   tempfail@F   451 4.3.0 after DATA to each Message-ID until
//                [facility] tempfail_for has passed since its first try;
//                then accepted like any member mail
//   delay@F      accepted (committed first), but the end-of-DATA reply
//                only after [facility] delay: a client that gives up too
//                soon sends it again, and that second try is seen
//   noreceipt@F  accepted; a signed receipt it asks for is never sent
//
// Every try at these addresses is written to the observation log
// (certify/observations.h) with the Message-ID and the reply, where the
// runner reads it: the mail itself goes on to the Maildir like any.
// Mail to other addresses is not touched.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.h"
#include "gateway/receipt_duty.h"
#include "mail/envelope.h"
#include "smtp/server.h"
#include "util/error.h"

namespace sm::gateway {

class Facility {
 public:
  enum class Address { refuse, tempfail, delay, noreceipt };
  explicit Facility(const config::Config& config);

  // The test address `address` is, at our primary domain.
  std::optional<Address> address_of(const std::string& address) const;
  // Is any recipient of `env` one of the addresses acted on after DATA?
  bool after_data(const mail::Envelope& env) const;

  // RCPT: refuse@ is refused (and recorded); anything else passes.
  Result<void> at_rcpt(const smtp::SessionInfo& session, const std::string& rcpt);
  // After DATA, before the message is opened: the 451 while a tempfail@
  // message is inside its window (recorded either way). `message` is the
  // whole message as received.
  Result<void> before_open(const smtp::SessionInfo& session, const mail::Envelope& env, std::string_view message);
  // How long to hold the reply (delay@; else zero), recorded as a try.
  std::chrono::milliseconds reply_delay(const smtp::SessionInfo& session, const mail::Envelope& env,
                                        std::string_view message);
  // noreceipt@: no receipt duty for these recipients (recorded).
  void withhold_receipts(const mail::Envelope& env, DutyDecision& decision, const std::string& message_id);

 private:
  void record(const std::string& where, const smtp::SessionInfo* session, const std::string& message_id,
              const std::string& reply);
  std::string address(Address a) const;
  bool addressed(const mail::Envelope& env, Address a) const;  // is any recipient `a`?

  const config::Config& config_;
  std::filesystem::path log_;
  std::mutex mu_;
  std::map<std::string, std::int64_t> first_try_;  // tempfail@: key -> unix seconds
};

}  // namespace sm::gateway
