// outbound_resolve.cpp - the copies an outbound message resolves to
// (outbound_resolve.h).
#include "gateway/outbound_resolve.h"

#include <algorithm>
#include <ctime>
#include <map>

#include "gateway/local_mail.h"
#include "gateway/policy_edits.h"
#include "gateway/receipt_asking.h"
#include "gateway/sender_binding.h"
#include "mime/dsn.h"
#include "mime/header.h"
#include "smime/unwrap.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::Counter sealed_total("securemail_messages_sealed_total", "Sealed copies queued for member gateways");
metrics::Counter policy_total("securemail_policy_returned_total", "Recipients returned or refused by policy after DATA");

constexpr std::size_t kReturnLimit = 50 * 1024;  // as the Bouncer returns originals

// One resolution in progress: its copies and what sealing keeps.
struct Outgoing {
  const Pipeline& p;
  const OutboundMessage& m;
  const std::string& id;
  const PolicyPlan& plan;
  SealKeeping& keeping;
  std::vector<SealedCopy>& kept;
  Resolution& res;

  // Seal content once per group; hold_rule non-empty: held copies naming it.
  Result<void> seal(const std::vector<OutboundPlan::Sealed>& groups, const std::string& content,
                    const std::string& hold_rule) {
    const auto& env = m.env;
    Sealer sealer(p.trust.keys, *p.trust.certificates);
    for (const auto& group : groups) {
      for (auto i : group.recipients)
        log::info("{}: to=<{}>: member {} (directory serial {}): sealing{}", id, env.recipients[i].address,
                  group.member->id, plan.outbound.directory->serial(), hold_rule.empty() ? "" : " to hold");
      SealedCopy& keep = kept.emplace_back(SealedCopy{group.member->id});
      auto asked = receipt_recipients(receipt_policy(p.config, m.client), env, group.recipients);
      auto request = keeping.request_for(asked);
      if (!request) return std::unexpected(request.error());
      if (*request) keep.asked = std::move(asked);
      auto sealed = sealer.seal(group, env, content,
                                {*request, &keep.record, keeping.keeps_evidence() ? &keep.signed_entity : nullptr});
      if (!sealed) {
        log::warn("{}: cannot seal for member {}: {}", id, group.member->id, sealed.error().text);
        return std::unexpected(sealed.error());
      }
      mail::Envelope copy_env = subset(env, group.recipients);
      strip_success(copy_env, group.recipients, keep.asked);
      copy_env.sealed_for = group.member->id;
      copy_env.body_binary = true;  // Sealer::seal writes the CMS as DER
      copy_env.body_8bit = false;
      copy_env.lane = mail::Lane::priority;
      copy_env.policy_hold = hold_rule;
      auto copy = new_copy(p.spool, copy_env, sealed->message);
      if (!copy) return std::unexpected(copy.error());
      if (!hold_rule.empty()) (*copy)->hold_on_commit();
      log::info("{}: sealed for member {} as {}: {}, {} octets{}", id, group.member->id, (*copy)->id(), sealed->summary,
                sealed->message.size(), hold_rule.empty() ? "" : " (held by policy rule " + hold_rule + ")");
      keep.queue_id = (*copy)->id();
      for (auto i : keep.asked)
        log::info("{}: to=<{}>: signed receipt requested (identifier {}, receipts to {})", id, env.recipients[i].address,
                  keep.record.content_identifier, p.config.receipt_address());
      sealed_total.add();
      res.copies.push_back(std::move(*copy));
    }
    return {};
  }

  Result<void> plain(const std::vector<std::size_t>& recipients, const std::string& content, const std::string& hold_rule,
                     const char* what, bool pickup = false, bool pickup_pdf = false) {
    if (recipients.empty()) return {};
    mail::Envelope env = subset(m.env, recipients);
    env.policy_hold = hold_rule;
    env.pickup = pickup;
    env.pickup_pdf = pickup_pdf;
    auto copy = new_copy(p.spool, env, content);
    if (!copy) return std::unexpected(copy.error());
    if (!hold_rule.empty()) (*copy)->hold_on_commit();
    log::info("{}: {} copy for {} recipient(s) queued as {}", id, what, recipients.size(), (*copy)->id());
    res.copies.push_back(std::move(*copy));
    return {};
  }
};

// Mail encrypted to our own certificate, opened: only an application may
// hand it in. nullopt for anything else (plain, signed, encrypted to others).
Result<std::optional<std::string>> open_for_us(const Pipeline& p, const OutboundMessage& m, const std::string& id,
                                               const std::string& message) {
  if (!p.trust.keys || p.trust.keys->empty()) return std::nullopt;
  auto unwrapped = smime::unwrap_for_us(message, p.trust.keys->identities(), p.config.data_dir);
  if (!unwrapped) return std::unexpected(unwrapped.error());
  if (unwrapped->state != smime::Unwrapped::State::opened) return std::nullopt;
  if (!m.application)
    return fail(550, "5.7.1", "mail encrypted to this gateway is taken only from a configured application ([[application]])");
  log::info("{}: application {}: opened ({}, key {})", id, m.application->name, unwrapped->encryption,
            unwrapped->key_id);
  return std::move(unwrapped->message);
}

}  // namespace

mail::Envelope subset(const mail::Envelope& env, const std::vector<std::size_t>& recipients) {
  mail::Envelope out = env;
  out.recipients.clear();
  for (auto i : recipients) out.recipients.push_back(env.recipients.at(i));
  return out;
}

Result<std::unique_ptr<queue::SpoolWriter>> new_copy(queue::Spool& spool, const mail::Envelope& env, std::string_view bytes) {
  auto w = spool.create(env);
  if (!w) return std::unexpected(w.error());
  if (auto ok = (*w)->write(bytes); !ok) return std::unexpected(ok.error());
  return w;
}

Result<std::unique_ptr<queue::SpoolWriter>> policy_return_dsn(const config::Config& config, queue::Spool& spool,
                                                              const mail::Envelope& env,
                                                              const std::vector<std::size_t>& returned,
                                                              const std::vector<policy::Verdict>& verdicts,
                                                              std::string_view message) {
  if (env.sender.empty()) return nullptr;
  mime::DsnReport report;
  report.reporting_mta = config.hostname;
  report.from = "MAILER-DAEMON@" + config.domain;
  report.envelope = env;
  for (auto i : returned) {
    auto& r = report.envelope.recipients.at(i);
    const auto& v = verdicts.at(i);
    r.state = mail::RecipientState::failed;
    r.last_reply = Error{v.code, v.status, v.reason}.reply();
    if (r.wants(mail::kNotifyFailure)) report.recipients.push_back({i, mime::DsnAction::failed});
  }
  if (report.recipients.empty()) return nullptr;
  auto headers = mime::HeaderBlock::parse(message);
  report.original_headers = std::string(message.substr(0, headers ? headers->header_size() : 0));
  if (message.size() <= kReturnLimit) report.original = std::string(message);
  report.return_limit = kReturnLimit;
  auto text = mime::compose_dsn(report);
  if (!text) return std::unexpected(text.error());
  return write_local_message(spool, LocalMessage{"bounce", env.sender, std::move(*text), report.now, false});
}

Result<Resolution> resolve_outbound(const Pipeline& p, const OutboundMessage& m, Received received) {
  const std::string id = received.id;
  const auto& env = m.env;
  auto message = received.text();
  if (!message) return std::unexpected(message.error());
  auto opened = open_for_us(p, m, id, *message);
  if (!opened) {
    log::warn("{}: refused: {}", id, opened.error().text);
    return std::unexpected(opened.error());
  }
  if (*opened) {
    message = std::move(**opened);
    received.file.reset();  // the queue file holds what was encrypted: never sent on as it is
  }
  if (m.check_from || m.application) {
    auto from = single_from_address(*message);
    if (!from) return std::unexpected(from.error());
    auto ok = m.application ? check_application_sender(*m.application, "From:", *from)
                            : check_sender_domain(p.config, m.client, "From:", *from);
    if (!ok) {
      log::warn("{}: refused: {}", id, ok.error().text);
      return std::unexpected(ok.error());
    }
  }
  auto directory = p.trust.directory ? p.trust.directory() : nullptr;
  auto decided = p.policy.decide(m.facts, env, *message, directory.get());
  if (!decided) {
    log::warn("{}: refused: {}", id, decided.error().text);
    return std::unexpected(decided.error());
  }
  auto& verdicts = decided->verdicts;
  PolicyPlan plan = plan_verdicts(directory, env, decided->rcpts, verdicts);
  for (std::size_t i = 0; i < env.recipients.size(); ++i)
    log::info("{}: {}", id, describe_verdict(env.recipients[i].address, verdicts[i]));
  if (m.decisions) {
    m.decisions->recipients = decisions_of(plan, env, verdicts);
    if (m.decisions->dry_run) {
      Resolution res;
      res.dropped_id = id;
      return res;
    }
  }
  if (plan.all_refused()) {
    const auto& v = verdicts[plan.refused.front()];
    return fail(v.code, v.status, v.reason);
  }

  // The content as it leaves: what the sender claimed about its category,
  // marking or sign-in never passes; personal mail is tagged.
  std::string content = without_client_claims(*message, !env.auth_user.empty());
  if (decided->facts.personal) content = mark_personal(content, p.config.personal.tag);
  if (!decided->facts.marking.present() && p.config.markings.unmarked == config::MarkingsConfig::Unmarked::tag)
    content = tag_subject(content, p.config.markings.unmarked_tag);
  const std::string marking = marking_field_value(decided->facts.marking);
  const std::string sealed_content = marking.empty() ? content : replace_field(content, kMarkingField, marking);

  Resolution res;
  SealKeeping keeping(p.config, p.trust.ledger, p.trust.evidence, m.client, env,
                      [&] { auto mid = message_id_of(*message); return mid.empty() ? id : mid; }(), std::time(nullptr));
  std::vector<SealedCopy> kept;
  Outgoing out{p, m, id, plan, keeping, kept, res};
  if (auto ok = out.seal(plan.outbound.sealed, sealed_content, ""); !ok) return std::unexpected(ok.error());

  // Plain: the spilled file itself when it is exactly that copy.
  if (!plan.outbound.plain.empty()) {
    if (received.file && content == *message && plan.outbound.plain.size() == env.recipients.size()) {
      res.copies.insert(res.copies.begin(), std::move(received.file));
    } else if (auto ok = out.plain(plan.outbound.plain, content, "", "plain"); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (!plan.released.empty()) {
    std::string released = without_marking(content, p.policy.scanner().markings(), p.config.markings.header);
    if (auto ok = out.plain(plan.released, released, "", "release (markings removed)"); !ok)
      return std::unexpected(ok.error());
  }

  // Held, per rule: member recipients sealed now, the others plain.
  std::map<std::string, std::vector<std::size_t>> held_by_rule;
  for (auto i : plan.held) held_by_rule[verdicts[i].rule.empty() ? "default" : verdicts[i].rule].push_back(i);
  for (const auto& [rule, recipients] : held_by_rule) {
    OutboundPlan held;
    held.directory = directory;
    for (auto i : recipients) {
      const auto* member = decided->rcpts[i].member;
      if (member && member->status == directory::Status::active) add_sealed(held, *member, i);
      else held.plain.push_back(i);
    }
    if (auto ok = out.seal(held.sealed, sealed_content, rule); !ok) return std::unexpected(ok.error());
    if (auto ok = out.plain(held.plain, content, rule, "held"); !ok) return std::unexpected(ok.error());
  }

  // Pickup: one copy the delivery agent hands to the secure pickup store
  // (and one more for the recipients whose rule asks for the PDF option).
  if (auto ok = out.plain(plan.pickup, content, "", "pickup", true); !ok) return std::unexpected(ok.error());
  if (auto ok = out.plain(plan.pickup_pdf, content, "", "pickup (with PDF)", true, true); !ok)
    return std::unexpected(ok.error());

  if (!plan.returned.empty()) {
    policy_total.add(plan.returned.size());
    auto dsn = policy_return_dsn(p.config, p.spool, env, plan.returned, verdicts, content);
    if (!dsn) return std::unexpected(dsn.error());
    if (*dsn) {
      log::info("{}: {} recipient(s) returned by policy: delivery status notification to <{}> as {}", id,
                plan.returned.size(), env.sender, (*dsn)->id());
      res.copies.push_back(std::move(*dsn));
    } else {
      log::info("{}: {} recipient(s) returned by policy: no notification due (null sender or NOTIFY)", id,
                plan.returned.size());
    }
  }

  if (p.trust.taps) {
    std::vector<std::size_t> handled;
    for (std::size_t i = 0; i < env.recipients.size(); ++i)
      if (std::find(plan.returned.begin(), plan.returned.end(), i) == plan.returned.end()) handled.push_back(i);
    auto taps = p.trust.taps->copies(env, handled, decided->facts, decided->rcpts, *message);
    if (!taps) return std::unexpected(taps.error());
    for (auto& c : *taps) res.copies.push_back(std::move(c));
  }

  for (const auto& k : kept)
    if (auto ok = keeping.keep(k); !ok) {
      log::warn("{}: cannot keep the receipt request or evidence: {}", id, ok.error().text);
      return std::unexpected(ok.error());
    }
  res.after_commit = keeping.after_commit();
  if (res.copies.empty()) res.dropped_id = id;  // every recipient returned, no notification due
  return res;
}

}  // namespace sm::gateway
