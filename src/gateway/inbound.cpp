// inbound.cpp - sealed, plain or forged: what the inbound listener delivers.
#include "gateway/inbound.h"

#include <algorithm>
#include <chrono>

#include "audit/appender.h"
#include "gateway/auth_results.h"
#include "gateway/receipt_asking.h"
#include "gateway/sender_assurance.h"
#include "mime/header.h"
#include "pki/certificate.h"
#include "smime/engine.h"
#include "smime/mailbox.h"
#include "util/hex.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::LabeledCounter inbound_total("securemail_inbound_total", "Inbound messages by S/MIME result", "result",
                                      {"pass", "fail", "none"});
metrics::LabeledCounter forgeries_total("securemail_forgeries_total",
                                        "Inbound messages claiming a member's From: domain that failed verification",
                                        "reason");

bool is_sealed(const mime::HeaderBlock& block) {
  auto ct = block.get("Content-Type");
  if (!ct) return false;
  std::string v(ct->substr(0, ct->find(';')));
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
  return v == "application/pkcs7-mime" || v == "application/x-pkcs7-mime";
}

// Every address the From: field names; when it is not a clean mailbox list,
// whatever follows an '@' (a forger's odd syntax must not hide a domain).
std::vector<std::string> from_addresses(const mime::HeaderBlock& block) {
  auto from = block.get("From");
  if (!from) return {};
  if (auto list = smime::detail::parse_mailbox_list(*from)) return *list;
  std::vector<std::string> out;
  std::string_view v = *from;
  for (auto at = v.find('@'); at != std::string_view::npos; at = v.find('@', at + 1)) {
    auto end = v.find_first_of(">,; \t\"()", at + 1);
    out.push_back("x" + std::string(v.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at)));
  }
  return out;
}

// Our Received: field, written first into every queued message.
std::string our_received(const mime::HeaderBlock& block) {
  if (!block.fields().empty() && mime::iequals(block.fields().front().name, "Received")) return block.fields().front().raw;
  return {};
}

std::string mem_data(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// An identifier as it is when it is printable ASCII, else its hex.
std::string printable(const std::string& raw) {
  bool plain = std::all_of(raw.begin(), raw.end(), [](char c) { return c > ' ' && c < 127; });
  return plain ? raw : to_hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Refused for a reason that is not a verdict on the sender (unreadable
// header, our own trust missing, local trouble): not counted as a forgery.
InboundOutcome refusal(Error why, std::string log) {
  InboundOutcome out;
  out.action = InboundOutcome::Action::reject;
  out.rejection = std::move(why);
  out.log = std::move(log);
  return out;
}

std::vector<std::size_t> all_recipients(const mail::Envelope& env) {
  std::vector<std::size_t> v(env.recipients.size());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = i;
  return v;
}

// The forgery policy for this envelope: a service provider's customer may
// set its own ([[relay_client]] forgery) for mail to its domains. With
// recipients under different policies the strictest wins (reject, then
// quarantine, then tag): one message gets one treatment.
std::pair<config::Config::Policy::Forgery, std::string> forgery_policy(const config::Config& c, const mail::Envelope& env) {
  using F = config::Config::Policy::Forgery;
  std::optional<F> chosen;
  std::string tag = c.policy.subject_tag;
  for (const auto& r : env.recipients) {
    const std::string domain = mail::domain_of(r.address);
    F f = c.policy.forgery;
    std::string t = c.policy.subject_tag;
    for (const auto& rc : c.relay_clients)
      if (std::find(rc.domains.begin(), rc.domains.end(), domain) != rc.domains.end()) {
        if (rc.forgery) f = *rc.forgery;
        if (!rc.subject_tag.empty()) t = rc.subject_tag;
      }
    if (!chosen || static_cast<int>(f) < static_cast<int>(*chosen)) {
      chosen = f;
      tag = t;
    }
  }
  return {chosen.value_or(c.policy.forgery), tag};
}

// The audit entry of a refused or forged message: reason, client, the
// claimed From: domain; never the body or Subject (docs/audit.md).
void audit_forgery(const std::string& reason, std::string_view message, const mail::Envelope& env) {
  std::string from_domain;
  if (auto block = mime::HeaderBlock::parse(message))
    for (const auto& a : from_addresses(*block)) from_domain = mail::domain_of(a);
  audit::record({reason == "unsealed" ? "mail.spoof" : "mail.verification_failed", from_domain, env.client_address,
                 {{"reason", reason}, {"listener", env.listener}}});
}

}  // namespace

Error sealed_failure_reply() {
  return Error{550, "5.7.5", "message refused: the sealed message could not be opened and verified"};
}

InboundOutcome Opener::process(const mail::Envelope& env, std::string received) {
  auto block = mime::HeaderBlock::parse(received);
  if (!block) return refusal(block.error(), "refused: " + block.error().text);
  auto dir = directory_ ? directory_() : nullptr;
  const directory::Member* claimed = nullptr;
  std::string claimed_from;
  if (dir)
    for (const auto& a : from_addresses(*block))
      if ((claimed = dir->lookup_address(a))) {
        claimed_from = a;
        break;
      }
  if (!claimed) {
    // Ordinary mail (a user's own S/MIME to one of our users included).
    // The header parsed above, so removal cannot fail.
    (void)strip_our_results(received, config_.hostname);
    InboundOutcome out;
    out.message = authentication_results(config_.hostname, {"none", "", "", ""}) + received;
    out.recipients = all_recipients(env);
    out.result = "none";
    out.log = "smime=none (not from a member domain)";
    inbound_total.add("none");
    return out;
  }
  if (!is_sealed(*block))
    return forgery("unsealed", "From: " + claimed_from + " is a domain of member " + claimed->id + ", but the message is not sealed",
                   550, "5.7.1", std::move(received), env);
  return open_sealed(*claimed, env, std::move(received));
}

InboundOutcome Opener::open_sealed(const directory::Member& member, const mail::Envelope& env, std::string received) {
  auto trust = keys_->trust();
  if (!trust) {
    Error e{451, "4.7.5", "this gateway has no authority certificate to verify sealed mail with"};
    return refusal(e, "deferred: " + e.text);
  }
  smime::OpenOptions o;
  o.keys = keys_->identities();
  o.trust = trust.get();
  o.allowed_signer_fingerprints = certs_.fingerprints(member);
  if (member.status != directory::Status::active || o.allowed_signer_fingerprints.empty())
    o.allowed_signer_fingerprints = {"(member " + member.id + " is " + std::string(directory::to_string(member.status)) + ")"};
  o.max_size = std::max<std::size_t>(o.max_size, config_.limits.max_message_size + 65536);
  o.scratch_folder = config_.data_dir;  // decrypted content waits on the gateway's own volume, not a shared /tmp
  ossl::BioPtr out_bio(BIO_new(BIO_s_mem()));
  ossl::BioPtr signed_bio(keep_signed_ ? BIO_new(BIO_s_mem()) : nullptr);
  if (!out_bio || (keep_signed_ && !signed_bio)) return refusal(Error{451, "4.3.0", "out of memory"}, "deferred: out of memory");
  o.signed_out = signed_bio.get();
  auto verdict = smime::open(smime::MessageSource::memory(received), out_bio.get(), o);
  if (!verdict) return refusal(verdict.error(), "deferred: " + verdict.error().text);
  const smime::Verdict& v = *verdict;
  std::string restored = v.released ? mem_data(out_bio.get()) : std::string();
  auto keep = [&](std::string restored_or_empty) { return restored_or_empty.empty() ? std::move(received) : std::move(restored_or_empty); };
  if (!v.verified()) {
    if (v.reason == smime::Reason::too_large) return forgery("too-large", v.detail, 552, "5.3.4", keep(std::move(restored)), env);
    // Our own CRL is missing or out of date: nothing is wrong with the
    // message; the sender retries while the operator (or the next feed)
    // brings a current CRL.
    if (v.reason == smime::Reason::revocation_unknown)
      return refusal(Error{451, "4.7.5",
                           "cannot check the signer's revocation status now (our CRL is missing or out of date); try again later"},
                     "deferred: revocation-unknown: " + v.detail);
    return forgery(std::string(smime::to_string(v.reason)),
                   std::string(smime::describe(v.reason)) + (v.detail.empty() ? "" : ": " + v.detail) +
                       " (From: domain of member " + member.id + ")",
                   550, "5.7.5", keep(std::move(restored)), env);
  }
  auto dir = directory_ ? directory_() : nullptr;
  const directory::Member* sender_member = dir && !env.sender.empty() ? dir->lookup_address(env.sender) : nullptr;
  if (!env.sender.empty() && (!sender_member || sender_member->id != member.id))
    return forgery("sender-not-member", "the envelope sender <" + env.sender + "> is not a domain of member " + member.id,
                   550, "5.7.1", std::move(restored), env);
  auto binding = take_binding(restored);
  if (!binding) return forgery("envelope-binding", binding.error().text, 550, "5.7.1", std::move(restored), env);
  InboundOutcome out;
  out.recipients = all_recipients(env);
  std::string bound = "no envelope binding";
  if (*binding) {
    if (auto ok = check_binding(**binding, env, now_unix(), config_.policy.replay_window); !ok)
      return forgery("envelope-mismatch", ok.error().text, 550, "5.7.1", std::move(restored), env);
    if (replays_) {
      std::vector<std::string> addresses;
      for (const auto& r : env.recipients) addresses.push_back(r.address);
      auto claimed = replays_->claim((*binding)->seal_id, addresses, (*binding)->sealed_at);
      if (claimed.in_flight) {
        Error e{451, "4.7.0", "this sealed message is being received on another connection; try again later"};
        return refusal(e, "deferred: seal " + (*binding)->seal_id + " is being received on another connection");
      }
      if (claimed.fresh.empty()) {
        out.action = InboundOutcome::Action::drop;
        out.log = "duplicate of seal " + (*binding)->seal_id + ", already delivered to every recipient: discarded";
        return out;
      }
      out.recipients = std::move(claimed.fresh);
      out.claim = std::move(claimed.claim);
    }
    out.binding = **binding;
    bound = "envelope bound";
  }
  // Read before the strip below removes every claim; delivered as ours.
  // The null sender's mail is the member gateway's own (reports,
  // acknowledgements): nobody signed in to send it, nothing to require.
  auto assurance = signed_assurance(restored);
  if (auto required = env.sender.empty() ? Result<void>{} : check_required_assurance(config_, member.id, assurance);
      !required)
    return refusal(required.error(), "refused: " + required.error().text);
  if (auto stripped = strip_our_results(restored, config_.hostname); !stripped)
    return forgery("header", stripped.error().text, 550, "5.6.0", std::move(restored), env);
  SmimeResult r;
  r.result = "pass";
  r.comment = "signed by member " + member.id + ", " + v.content_encryption + ", " + bound;
  r.identifier = v.from;
  r.assurance = assurance_resinfo(assurance);
  if (auto block = mime::HeaderBlock::parse(received)) restored = our_received(*block) + restored;
  out.message = authentication_results(config_.hostname, r) + (assurance ? assurance_field(*assurance) : "") + restored;
  out.lane = mail::Lane::priority;
  out.result = "pass";
  out.log = "sealed message from <" + env.sender + ">: decrypted with " + v.decrypted_with + " (" + v.content_encryption +
            ", " + v.key_management + "); verified: signed by member " + member.id + " (From: " + v.from +
            ", certificate " + v.signer_fingerprint.substr(0, 16) + "), smime=pass";
  out.member = member.id;
  if (signed_bio) out.signed_entity = mem_data(signed_bio.get());
  out.message_id = message_id_of(restored);
  if (v.receipt_request) out.content_identifier = printable(v.receipt_request->content_identifier);
  if (config_.receipts.issue)
    out.receipt = decide_receipt_duty(v, member, dir.get(), env, out.recipients, out.message_id);
  else if (v.receipt_request)
    out.receipt.log = "signed receipt request not acted on: this gateway returns none ([receipts] issue = false)";
  // A request that could not be used (RFC 2634 2.7: no receiptsTo, not
  // decodable) leaves no receipt_request; on a pass the verdict's detail
  // holds only what smime::open noted about it (open.cpp read_request).
  if (!v.receipt_request && !v.detail.empty()) out.receipt.log = "signed receipt request not acted on: " + v.detail;
  if (!out.receipt.log.empty()) out.log += "; " + out.receipt.log;
  inbound_total.add("pass");
  return out;
}

InboundOutcome Opener::forgery(std::string reason, std::string detail, int code, const char* enhanced,
                               std::string message, const mail::Envelope& env) {
  InboundOutcome out;
  out.result = "fail";
  inbound_total.add("fail");
  forgeries_total.add(reason);
  audit_forgery(reason, message, env);
  // Anything that went wrong with a message that is sealed (everything but
  // "unsealed" and a size the sender knows) gets one reply: no oracle.
  const bool sealed = reason != "unsealed" && code != 552;
  out.sealed_failure = sealed;
  Error refused = sealed ? sealed_failure_reply() : Error{code, enhanced, "message refused: " + detail};
  using F = config::Config::Policy::Forgery;
  auto [policy, subject_tag] = forgery_policy(config_, env);
  // What would be handed out must itself be readable one way only; if its
  // header is not (a signed header with a line that is not a field, two
  // From: fields), it is refused whatever the policy.
  auto stripped = policy == F::reject ? Result<std::size_t>(0) : strip_our_results(message, config_.hostname);
  if (policy == F::reject || code == 552 || !stripped) {  // too large to hand out: always refused
    out.action = InboundOutcome::Action::reject;
    out.rejection = std::move(refused);
    out.log = "FORGERY (" + reason + "): " + detail + (stripped ? "" : "; " + stripped.error().text) + ": rejected";
    return out;
  }
  if (policy == F::tag) tag_subject(message, subject_tag);
  out.message = authentication_results(config_.hostname, {"fail", reason, "", ""}) + message;
  out.recipients = all_recipients(env);
  out.action = policy == F::quarantine ? InboundOutcome::Action::quarantine : InboundOutcome::Action::deliver;
  out.log = "FORGERY (" + reason + "): " + detail +
            (out.action == InboundOutcome::Action::quarantine ? ": quarantined (held; smime=fail)" : ": delivered with smime=fail and a subject tag");
  return out;
}

}  // namespace sm::gateway
