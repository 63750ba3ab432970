// receiver.h - the gateway's answer to every envelope question an SMTP
// session asks (smtp::TransactionHandler), and where accepted mail goes:
// through the outbound or inbound processing into the durable queue, then
// straight to the delivery agent.
//
// Relay policy (no open relay): the trusted relay listener (and
// authenticated submission, submission.h) may send to any domain; the inbound listener only to our own domains, and never to a
// local part that carries routing characters (`%`, `!`, `@` in a quoted
// local part), which an internal server might still act on. With
// [[relay_client]] entries, each client of the relay listener may only
// send as its own domains (envelope sender and From:), 550 5.7.1 otherwise.
//
// A message that is processed keeps arriving in memory (up to 1 MiB;
// beyond that in a spool file not yet committed) until the end of DATA.
// Relay listener: copies for member gateways are sealed (outbound.h) and
// each is committed as its own queue file; the rest stays plain. Inbound
// listener: the message is opened and verified (inbound.h) and the result
// committed (or held, or refused). The crypto runs on a worker pool, never
// on the network thread, and every copy is on disk before the 250 reply.
#pragma once

#include <asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "delivery/recipient_check.h"
#include "evidence/evidence_store.h"
#include "evidence/ledger.h"
#include "gateway/gateway_keys.h"
#include "gateway/member_certs.h"
#include "gateway/outbound.h"
#include "gateway/replay_cache.h"
#include "gateway/sealed_failures.h"
#include "gateway/taps.h"
#include "queue/spool.h"
#include "smtp/server.h"

namespace sm::gateway {

class Acknowledger;
class Facility;
struct InboundOutcome;  // inbound.h
class PolicyStep;
struct Resolution;      // queue_sink.h
class StrongHolds;
struct Decisions;       // outbound_resolve.h
class TestAgent;
class FacilityReplies;

// What sealing for members and verifying them need: our keys, the
// directory, the parsed member certificates and the seal ids seen. keys
// and certificates are required (a gateway without DATA/pki has empty
// keys); directory may be empty or return null (no directory: nothing is
// sealed or opened).
struct MemberTrust {
  std::shared_ptr<const GatewayKeys> keys;
  DirectorySnapshot directory;
  MemberCertificates* certificates = nullptr;
  ReplayCache* replays = nullptr;
  // Receipts asked for and kept evidence (issue 13); null: not kept.
  std::shared_ptr<evidence::ReceiptLedger> ledger;
  std::shared_ptr<evidence::EvidenceStore> evidence;
  // [[acknowledge]] mailboxes answer verified mail; null: none.
  Acknowledger* acknowledger = nullptr;
  // [[strong_auth]] inbound hold / return (strong_hold.h); null: none.
  StrongHolds* strong_holds = nullptr;
  // Journal and interception copies (taps.h, issue 15); null: none.
  Taps* taps = nullptr;
  // securemail-test@<domain> (test_agent.h, issue 17); null: none.
  TestAgent* test_agent = nullptr;
  // The certification facility's test addresses (facility.h); null: not the facility.
  Facility* facility = nullptr;
  // The facility's echo@ and ping@ (facility_replies.h); null: not the facility.
  FacilityReplies* facility_replies = nullptr;
};

class Receiver : public smtp::TransactionHandler {
 public:
  // committed is called on the session's executor after a message is
  // durably queued, before the 250 reply goes out.
  Receiver(const config::Config& config, queue::Spool& spool,
           std::function<void(const std::string& id)> committed, MemberTrust trust);
  ~Receiver() override;

  Result<void> on_mail(const smtp::SessionInfo&, const mail::Envelope& env) override;
  Result<void> on_rcpt(const smtp::SessionInfo&, const mail::Envelope& env,
                       const mail::Recipient& rcpt) override;
  // [deliver] recipients = "verify": local recipients on the inbound
  // listener are checked (delivery/recipient_check.h); the rest as on_rcpt.
  asio::awaitable<Result<void>> verify_rcpt(const smtp::SessionInfo&, const mail::Envelope& env,
                                            const mail::Recipient& rcpt) override;
  Result<std::unique_ptr<smtp::MessageSink>> on_data(const smtp::SessionInfo&,
                                                     const mail::Envelope& env) override;

  // Is this session a member gateway (its TLS client certificate is one the
  // directory lists)? The inbound listener keeps connections for those.
  bool member_session(const smtp::SessionInfo& session) const;

  // DATA as the relay listener takes it from this application, filling
  // decisions (POST /v1/messages: api_submission.h).
  Result<std::unique_ptr<smtp::MessageSink>> application_sink(const smtp::SessionInfo& session,
                                                              const mail::Envelope& env,
                                                              const config::Config::Application& app,
                                                              std::shared_ptr<Decisions> decisions) {
    return make_sink(session, env, &app, std::move(decisions));
  }

  // The check verify_rcpt uses (local_recipients.h); null: every recipient taken.
  void check_recipients_with(delivery::RecipientCheck* check) { recipients_ = check; }

 private:
  // api_app: the application the admin API names (else identified by
  // address on the relay listener); decisions: filled when set.
  Result<std::unique_ptr<smtp::MessageSink>> make_sink(const smtp::SessionInfo& session, const mail::Envelope& env,
                                                       const config::Config::Application* api_app,
                                                       std::shared_ptr<Decisions> decisions);
  std::shared_ptr<const directory::Directory> directory() const;
  // Who a sealed failure is counted against: the member gateway the TLS
  // client certificate names, else the IP address.
  std::string failure_client(const smtp::SessionInfo& session) const;

  const config::Config& config_;
  queue::Spool& spool_;
  std::function<void(const std::string&)> committed_;
  MemberTrust trust_;
  SealedFailures failures_;
  std::unique_ptr<PolicyStep> policy_;  // policy_step.h: the engine at RCPT and after DATA
  asio::thread_pool crypto_pool_{2};
  delivery::RecipientCheck* recipients_ = nullptr;
};

// The answer to a sealed message that failed (out.sealed_failure) at an
// address that takes it whole (the test agent, the receipt address): the
// one sealed-failure reply - or the refusal the outcome carries - after
// this client's delay, counted like any. So no address that opens sealed
// mail answers a failure faster or in other words than the inbound path:
// no oracle, and the throttle holds at every address.
Resolution sealed_failure_answer(SealedFailures& failures, const std::string& client, const InboundOutcome& out);

// Mail from our own side: the relay listener and authenticated submission
// (submission, submissions) may send anywhere; their mail is sealed for
// members. [[relay_client]] bindings apply to the relay listener only.
bool outbound_listener(std::string_view listener);

// The relay decision alone, for tests: may this listener take mail for rcpt?
Result<void> check_relay(const config::Config& config, const std::string& listener,
                         const std::string& recipient);

}  // namespace sm::gateway
