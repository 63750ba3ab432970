// receiver.h - the gateway's answer to every envelope question an SMTP
// session asks (smtp::TransactionHandler), and where accepted mail goes:
// into the durable queue, then straight to the delivery agent.
//
// Relay policy (no open relay): the trusted relay listener may send to any
// domain; the inbound listener only to our own domains, and never to a
// local part that carries routing characters (`%`, `!`, `@` in a quoted
// local part), which an internal server might still act on.
#pragma once

#include <functional>
#include <string>

#include "config/config.h"
#include "queue/spool.h"
#include "smtp/server.h"

namespace sm::gateway {

class Receiver : public smtp::TransactionHandler {
 public:
  // committed is called on the session's executor after a message is
  // durably queued, before the 250 reply goes out.
  Receiver(const config::Config& config, queue::Spool& spool,
           std::function<void(const std::string& id)> committed);

  Result<void> on_mail(const smtp::SessionInfo&, const mail::Envelope& env) override;
  Result<void> on_rcpt(const smtp::SessionInfo&, const mail::Envelope& env,
                       const mail::Recipient& rcpt) override;
  Result<std::unique_ptr<smtp::MessageSink>> on_data(const smtp::SessionInfo&,
                                                     const mail::Envelope& env) override;

 private:
  const config::Config& config_;
  queue::Spool& spool_;
  std::function<void(const std::string&)> committed_;
};

// The relay decision alone, for tests: may this listener take mail for rcpt?
Result<void> check_relay(const config::Config& config, const std::string& listener,
                         const std::string& recipient);

}  // namespace sm::gateway
