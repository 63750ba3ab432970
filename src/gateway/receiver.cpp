// receiver.cpp - relay checks, and what DATA resolves to: queued copies,
// plain, sealed per member gateway, or opened and verified (the sink that
// carries them into the queue is queue_sink.h).
#include "gateway/receiver.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "gateway/acknowledger.h"
#include "gateway/facility.h"
#include "gateway/facility_replies.h"
#include "gateway/test_agent.h"
#include "gateway/inbound.h"
#include "gateway/inbound_policy.h"
#include "gateway/kept_evidence.h"
#include "gateway/outbound_resolve.h"
#include "gateway/policy_step.h"
#include "gateway/queue_sink.h"
#include "gateway/receipt_asking.h"
#include "gateway/receipt_intake.h"
#include "gateway/sender_binding.h"
#include "gateway/strong_hold.h"
#include "mime/header.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::Counter relay_denied_total("securemail_relay_denied_total", "Recipients refused as relay attempts");
std::string local_part_of(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? address : address.substr(0, at);
}

// The signed entity of a message that passed, and the trust it was
// checked against, kept as evidence (kind received) before the commit.
// A message without a Message-ID is kept under its queue id, as on the
// sending side.
Result<void> keep_received(const Pipeline& p, const mail::Envelope& env, const InboundOutcome& out,
                           const std::string& queue_id) {
  std::vector<std::string> domains;
  for (auto i : out.recipients) domains.push_back(mail::domain_of(env.recipients.at(i).address));
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  evidence::EvidenceEntry entry;
  entry.kind = evidence::EvidenceKind::received;
  entry.message_id = out.message_id.empty() ? queue_id : out.message_id;
  entry.content_identifier = out.content_identifier;
  entry.member = out.member;
  entry.address = env.sender;
  entry.at = now;
  entry.keep_until = now + evidence_retention(p.config, domains);
  auto trust = p.trust.keys->trust();
  return keep_with_trust(*p.trust.evidence, trust.get(), std::move(entry), out.signed_entity);
}

// Inbound listener: open and verify (inbound.h), then queue, hold, drop or refuse.
Result<Resolution> open_inbound(const Pipeline& p, const mail::Envelope& env, const std::string& client,
                                Received received) {
  const std::string id = received.id;
  auto message = received.text();
  if (!message) return std::unexpected(message.error());
  Opener opener(p.config, p.trust.keys, p.trust.directory, *p.trust.certificates, p.trust.replays);
  if (p.trust.evidence) opener.keep_signed_entities();
  InboundOutcome out = opener.process(env, std::move(*message));
  if (p.trust.facility) p.trust.facility->withhold_receipts(env, out.receipt, out.message_id);
  Resolution res;
  if (out.sealed_failure) {
    res.reply_after = p.failures.failed(client);
    log::info("{}: sealed message from {} failed; reply in {} ms", id, client, res.reply_after.count());
  }
  switch (out.action) {
    case InboundOutcome::Action::reject:
      log::warn("{}: from=<{}>: {}", id, env.sender, out.log);
      if (!out.sealed_failure) return std::unexpected(out.rejection);
      res.refusal = out.rejection;
      return res;
    case InboundOutcome::Action::drop:
      log::info("{}: from=<{}>: {}", id, env.sender, out.log);
      res.dropped_id = id;
      return res;
    default:
      break;
  }
  auto checked = check_inbound(p.policy, p.config, p.spool, env, id, out);
  if (!checked) return std::unexpected(checked.error());
  if (checked->outcome == InboundPolicy::Outcome::forged) {
    res.reply_after = p.failures.failed(client);
    res.refusal = sealed_failure_reply();
    return res;
  }
  if (checked->outcome == InboundPolicy::Outcome::refused) {
    res.copies = std::move(checked->notices);
    res.refusal = Error{checked->verdict->code, checked->verdict->status, checked->verdict->reason};
    return res;
  }
  const bool pass = out.result == "pass";
  StrengthSplit strength;
  if (pass && p.trust.strong_holds) {
    auto split = p.trust.strong_holds->split(env, out.recipients, out.member, checked->facts.marking);
    if (!split) return std::unexpected(split.error());
    for (const auto& line : split->log) log::info("{}: from=<{}>: {}", id, env.sender, line);
    if (split->pick(out.recipients, StrengthSplit::Fate::return_).size() == out.recipients.size())
      return std::unexpected(no_strong_authentication());
    strength = std::move(*split);
  }
  if (pass && p.trust.evidence && !out.signed_entity.empty())
    if (auto kept = keep_received(p, env, out, id); !kept) {
      log::error("{}: from=<{}>: evidence not kept: {}; deferred", id, env.sender, kept.error().text);
      return fail(451, "4.3.0", "cannot keep the evidence of this message now; try again later");
    }
  // The recipients a signed receipt is due for carry the duty in their
  // copy; the others (a request whose receiptsFrom names only some) get
  // a copy of their own without it.
  std::vector<std::size_t> with_duty = out.receipt.duty ? out.receipt.recipients : std::vector<std::size_t>{};
  std::vector<std::size_t> without;
  for (auto i : out.recipients)
    if (std::find(with_duty.begin(), with_duty.end(), i) == with_duty.end()) without.push_back(i);
  const std::int64_t now = std::time(nullptr);
  for (const auto* group : {&with_duty, &without}) {
    for (const auto& [members, fate] : strength.copies(*group)) {
      mail::Envelope final_env = subset(env, members);
      final_env.lane = out.lane;
      if (group == &with_duty) final_env.receipt = out.receipt.duty;
      // What was opened is the original message, not the BINARYMIME sealed
      // form it came in; it may hold 8-bit text. Anything else stays binary.
      if (final_env.body_binary && pass) {
        final_env.body_binary = false;
        final_env.body_8bit = true;
      }
      if (fate != StrengthSplit::Fate::deliver)  // returned ones: due now, for the next scan
        final_env.strong_hold_until = now + (fate == StrengthSplit::Fate::hold ? p.config.mailboxes.hold_time.count() : 0);
      auto copy = new_copy(p.spool, final_env, out.message);
      if (!copy) return std::unexpected(copy.error());
      bool held = out.action == InboundOutcome::Action::quarantine || fate != StrengthSplit::Fate::deliver;
      if (held) (*copy)->hold_on_commit();
      log::info("{}: from=<{}>: {} -> queued as {}{}", id, env.sender, out.log, (*copy)->id(),
                fate != StrengthSplit::Fate::deliver ? " (held for strong authentication)" : held ? " (held)" : "");
      res.copies.push_back(std::move(*copy));
      if (fate == StrengthSplit::Fate::hold) {
        auto notice = p.trust.strong_holds->notice(final_env, out.member);
        if (!notice) return std::unexpected(notice.error());
        res.copies.push_back(std::move(*notice));
      }
    }
  }
  if (p.trust.taps) {
    auto dir = p.trust.directory ? p.trust.directory() : nullptr;
    std::vector<policy::RecipientFacts> rcpts;
    for (const auto& r : env.recipients) rcpts.push_back(recipient_facts(p.config, dir.get(), r.address));
    mail::Envelope tapped = env;
    tapped.id = id;  // the audit entry names the original by its queue id
    auto taps = p.trust.taps->copies(tapped, out.recipients, checked->facts, rcpts, out.message);
    if (!taps) return std::unexpected(taps.error());
    for (auto& c : *taps) res.copies.push_back(std::move(c));
  }
  if (pass && p.trust.acknowledger) {
    mail::Envelope logged = env;
    logged.id = id;
    p.trust.acknowledger->received(logged, out.recipients, out.message, out.member);
  }
  res.claim = std::move(out.claim);
  return res;
}

}  // namespace

bool outbound_listener(std::string_view listener) {
  return listener == "relay" || listener == "submission" || listener == "submissions";
}

Result<void> check_relay(const config::Config& config, const std::string& listener,
                         const std::string& recipient) {
  std::string domain = mail::domain_of(recipient);
  if (domain.empty()) return fail(550, "5.1.3", "recipient address must have a domain");
  if (outbound_listener(listener)) return {};
  if (!config.receives_for(domain)) {
    relay_denied_total.add();
    return fail(554, "5.7.1", "<" + recipient + ">: Relay access denied");
  }
  if (local_part_of(recipient).find_first_of("%!@") != std::string::npos) {
    relay_denied_total.add();
    return fail(550, "5.7.1", "<" + recipient + ">: routing characters in the local part are not accepted");
  }
  return {};
}

Receiver::Receiver(const config::Config& config, queue::Spool& spool,
                   std::function<void(const std::string&)> committed, MemberTrust trust)
    : config_(config),
      spool_(spool),
      committed_(std::move(committed)),
      trust_(std::move(trust)),
      failures_({std::chrono::duration_cast<std::chrono::milliseconds>(config.policy.sealed_failure_delay),
                 config.policy.sealed_failure_limit, config.policy.sealed_failure_window,
                 config.policy.sealed_failure_block}),
      policy_(std::make_unique<PolicyStep>(config)) {}

Receiver::~Receiver() { crypto_pool_.join(); }

std::shared_ptr<const directory::Directory> Receiver::directory() const {
  return trust_.directory ? trust_.directory() : nullptr;
}

bool Receiver::member_session(const smtp::SessionInfo& session) const {
  if (!trust_.certificates || session.peer_cert_sha256.empty()) return false;
  return trust_.certificates->member_with_certificate(directory(), session.peer_cert_sha256) != nullptr;
}

std::string Receiver::failure_client(const smtp::SessionInfo& session) const {
  if (trust_.certificates && !session.peer_cert_sha256.empty()) {
    auto dir = directory();
    if (const auto* m = trust_.certificates->member_with_certificate(dir, session.peer_cert_sha256))
      return "member " + m->id;
  }
  return "[" + session.peer_address + "]";
}

Result<void> Receiver::on_mail(const smtp::SessionInfo& session, const mail::Envelope& env) {
  if (session.listener != "relay") {
    if (auto refused = failures_.blocked(failure_client(session))) return std::unexpected(*refused);
    return {};
  }
  if (const auto* app = identify_application(config_, session.peer_address, session.peer_cert_sha256))
    return check_application_sender(*app, "sender", env.sender);
  if (config_.relay_clients.empty()) return {};
  const auto* client = identify_relay_client(config_, session.peer_address, session.peer_cert_sha256);
  return check_sender_domain(config_, client, "sender", env.sender);
}

// The session logs the rejection with the client's address.
Result<void> Receiver::on_rcpt(const smtp::SessionInfo& session, const mail::Envelope& env,
                               const mail::Recipient& rcpt) {
  if (auto ok = check_relay(config_, session.listener, rcpt.address); !ok) return ok;
  if (!outbound_listener(session.listener)) return trust_.facility ? trust_.facility->at_rcpt(session, rcpt.address) : Result<void>{};
  auto dir = directory();
  if (!config_.receives_for(mail::domain_of(rcpt.address)))
    if (auto ok = check_member_recipient(dir.get(), rcpt.address); !ok) return ok;
  return policy_->at_rcpt(session, env, rcpt.address, dir.get());
}

asio::awaitable<Result<void>> Receiver::verify_rcpt(const smtp::SessionInfo& session, const mail::Envelope&,
                                                    const mail::Recipient& rcpt) {
  if (!recipients_ || outbound_listener(session.listener) || !config_.receives_for(mail::domain_of(rcpt.address)))
    co_return Result<void>{};
  mail::Envelope one;  // the gateway's own test addresses take mail themselves
  one.recipients = {rcpt};
  if ((trust_.facility && trust_.facility->after_data(one)) ||
      (trust_.facility_replies && trust_.facility_replies->addressed(one)))
    co_return Result<void>{};
  co_return co_await recipients_->check(co_await asio::this_coro::executor, rcpt.address);
}

Result<std::unique_ptr<smtp::MessageSink>> Receiver::on_data(const smtp::SessionInfo& session,
                                                             const mail::Envelope& env) {
  return make_sink(session, env, nullptr, nullptr);
}

Result<std::unique_ptr<smtp::MessageSink>> Receiver::make_sink(const smtp::SessionInfo& session,
                                                               const mail::Envelope& env,
                                                               const config::Config::Application* api_app,
                                                               std::shared_ptr<Decisions> decisions) {
  // Outbound: every message is decided by policy after DATA (the marking
  // may refuse plain mail too), so the received file is only reused when
  // it turns out to be the one plain copy (outbound_resolve.h).
  mail::Envelope stored = env;
  const bool relay = outbound_listener(session.listener);
  const bool relay_client = session.listener == "relay" && !config_.relay_clients.empty();
  stored.id = queue::new_queue_id();
  mime::ReceivedInfo trace;
  trace.helo = session.helo;
  trace.client_address = session.peer_address;
  trace.by = config_.hostname;
  trace.protocol = std::string(session.tls ? "ESMTPS" : "ESMTP") + (session.auth_user.empty() ? "" : "A");  // RFC 3848
  trace.queue_id = stored.id;
  if (env.recipients.size() == 1) trace.recipient = env.recipients.front().address;
  trace.tls = session.tls ? session.tls_version + " " + session.tls_cipher : "";
  trace.when = env.arrival;
  std::string received_field = mime::received_header(trace);

  QueueSink::Resolve resolve;
  const auto* app = session.listener != "relay" ? nullptr
                    : api_app ? api_app
                              : identify_application(config_, session.peer_address, session.peer_cert_sha256);
  const auto* client = relay_client && !app
                           ? identify_relay_client(config_, session.peer_address, session.peer_cert_sha256)
                           : nullptr;
  bool check_from = relay_client && !app;
  if (relay) {
    OutboundMessage m{env, envelope_facts(config_, session, env), client, check_from, app, decisions};
    m.env.id = stored.id;
    resolve = [this, m = std::move(m)](Received received) {
      return resolve_outbound({config_, spool_, trust_, failures_, *policy_}, m, std::move(received));
    };
  } else if (!relay && trust_.test_agent && to_agent_address(config_, env)) {
    resolve = [this, env, client = failure_client(session)](Received received) {
      return trust_.test_agent->take(trust_, failures_, client, env, std::move(received));
    };
  } else if (!relay && trust_.ledger && to_receipt_address(config_, env)) {
    resolve = [this, env, client = failure_client(session)](Received received) {
      return take_receipt(config_, spool_, trust_, failures_, client, env, std::move(received));
    };
  } else if (!relay && trust_.facility_replies && trust_.facility_replies->addressed(env)) {
    resolve = [this, env, client = failure_client(session)](Received received) {
      return trust_.facility_replies->take(trust_, failures_, client, env, std::move(received));
    };
  } else if (!relay && trust_.facility && trust_.facility->after_data(env)) {
    resolve = [this, env, session, client = failure_client(session)](Received received) -> Result<Resolution> {
      std::string spilled;  // tempfail@, delay@, noreceipt@ (facility.h)
      if (received.file) {
        auto text = received.file->read_message();
        if (!text) return std::unexpected(text.error());
        spilled = std::move(*text);
      }
      std::string_view message = received.file ? std::string_view(spilled) : std::string_view(received.message);
      if (auto ok = trust_.facility->before_open(session, env, message); !ok) return std::unexpected(ok.error());
      auto delay = trust_.facility->reply_delay(session, env, message);
      auto res = open_inbound({config_, spool_, trust_, failures_, *policy_}, env, client, std::move(received));
      if (res && delay > res->reply_after) res->reply_after = delay;
      return res;
    };
  } else if (!relay) {
    resolve = [this, env, client = failure_client(session)](Received received) {
      return open_inbound({config_, spool_, trust_, failures_, *policy_}, env, client, std::move(received));
    };
  }
  std::unique_ptr<queue::SpoolWriter> writer;
  if (!resolve) {  // committed as it is: straight into its queue file
    auto w = spool_.create(stored);
    if (!w) return std::unexpected(w.error());
    if (auto ok = (*w)->write(received_field); !ok) return std::unexpected(ok.error());
    writer = std::move(*w);
    received_field.clear();
  }
  return std::make_unique<QueueSink>(spool_, std::move(writer), std::move(stored), std::move(received_field), committed_,
                                     std::move(resolve), &crypto_pool_);
}

Resolution sealed_failure_answer(SealedFailures& failures, const std::string& client, const InboundOutcome& out) {
  Resolution failed;
  failed.reply_after = failures.failed(client);
  failed.refusal = out.action == InboundOutcome::Action::reject ? out.rejection : sealed_failure_reply();
  return failed;
}

}  // namespace sm::gateway
