// receipt_intake.cpp - parsing, checking and answering a signed receipt
// message (see receipt_intake.h).
#include "gateway/receipt_intake.h"

#include <algorithm>

#include "gateway/inbound.h"
#include "gateway/local_mail.h"
#include "gateway/outbound.h"
#include "gateway/receipt_reports.h"
#include "gateway/test_agent.h"
#include "mime/header.h"
#include "mime/multipart.h"
#include "smime/mailbox.h"
#include "smime/receipt.h"
#include "util/log.h"

namespace sm::gateway {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

ReceiptIntake refused(std::string result, std::string detail) {
  return ReceiptIntake{std::move(result), std::move(detail), std::nullopt, {}, {}};
}

ReceiptIntake trouble(const Error& e) {
  ReceiptIntake out{"", e.text, e, {}, {}};
  return out;
}

// The reasons verify_receipt gives that are about who signed.
bool signer_reason(smime::Reason r) {
  switch (r) {
    case smime::Reason::untrusted_signer:
    case smime::Reason::signer_expired:
    case smime::Reason::signer_not_yet_valid:
    case smime::Reason::signer_revoked:
    case smime::Reason::signer_wrong_usage:
    case smime::Reason::signer_weak_key:
    case smime::Reason::signer_domain_mismatch:
    case smime::Reason::signer_not_member: return true;
    default: return false;
  }
}

// The SealRecord as the reports need it, with only the confirmed recipient.
ReportedSeal reported(const evidence::SealRecord& seal) {
  return ReportedSeal{seal.message_id, seal.sender, seal.envid, seal.member, seal.queue_id, seal.recipients};
}

// A receipt is kept at least as long as the original it proves (a relay
// client's evidence_retention may be longer than the gateway's).
std::int64_t receipt_keep_until(evidence::EvidenceStore& store, const std::string& message_id,
                                const std::string& content_identifier, std::int64_t by_default) {
  auto entries = store.entries_for(message_id);
  if (!entries) return by_default;
  std::int64_t until = by_default;
  for (const auto& e : *entries)
    if (e.kind == evidence::EvidenceKind::sent && e.content_identifier == content_identifier) until = std::max(until, e.keep_until);
  return until;
}

}  // namespace

Error receipt_refusal() { return Error{550, "5.7.5", "receipt refused"}; }

bool to_receipt_address(const config::Config& config, const mail::Envelope& env) {
  const std::string address = lower(config.receipt_address());
  return std::any_of(env.recipients.begin(), env.recipients.end(),
                     [&](const mail::Recipient& r) { return lower(r.address) == address; });
}

Result<ReceiptMessage> parse_receipt_message(std::string_view message) {
  auto header = mime::HeaderBlock::parse(message);
  if (!header) return fail(554, "5.6.0", "receipt message header: " + header.error().text);
  ReceiptMessage out;
  auto rcpt = header->get("SecureMail-Receipt-For");
  if (!rcpt || evidence::bare_message_id(*rcpt).find('@') == std::string::npos)
    return fail(554, "5.6.0", "no SecureMail-Receipt-For address");
  out.recipient = evidence::bare_message_id(*rcpt);
  if (auto id = header->get("SecureMail-Receipt-Message-Id")) out.message_id = evidence::bare_message_id(*id);
  auto ct = header->get("Content-Type");
  if (!ct || mime::media_type(*ct) != "multipart/mixed") return fail(554, "5.6.0", "the receipt message is not multipart/mixed");
  auto boundary = mime::content_type_parameter(*ct, "boundary");
  if (!boundary) return fail(554, "5.6.0", "multipart/mixed without a boundary");
  auto parts = mime::split_multipart(message.substr(header->body_offset()), *boundary);
  if (!parts) return std::unexpected(parts.error());
  const mime::BodyPart* found = nullptr;
  for (const auto& part : *parts) {
    auto pct = part.header.get("Content-Type");
    if (!pct || mime::media_type(*pct) != "application/pkcs7-mime" ||
        lower(mime::content_type_parameter(*pct, "smime-type").value_or("")) != "signed-receipt")
      continue;
    if (found) return fail(554, "5.6.0", "more than one signed-receipt part");
    found = &part;
  }
  if (!found) return fail(554, "5.6.0", "no application/pkcs7-mime; smime-type=signed-receipt part");
  auto cte = found->header.get("Content-Transfer-Encoding");
  if (!cte || lower(*cte) != "base64") return fail(554, "5.6.0", "the receipt part is not base64");
  auto der = mime::decode_base64_body(found->body);
  if (!der) return std::unexpected(der.error());
  if (der->empty()) return fail(554, "5.6.0", "the receipt part is empty");
  out.receipt = std::move(*der);
  return out;
}

ReceiptIntake check_receipt_message(const ReceiptChecking& c, std::string_view opened, const std::string& member,
                                    const std::vector<std::string>& fingerprints, std::int64_t now) {
  auto message = parse_receipt_message(opened);
  if (!message) return refused("malformed", message.error().text);
  auto id = smime::receipt_content_identifier(message->receipt);
  if (!id) return refused("malformed", id.error().text);
  auto seal = c.ledger->seal(*id);
  if (!seal) return trouble(seal.error());
  if (!*seal) return refused("unknown", "no receipt was asked with identifier " + *id);
  const evidence::SealRecord& s = **seal;
  auto asked = std::find_if(s.recipients.begin(), s.recipients.end(), [&](const auto& r) {
    return lower(r.address) == lower(message->recipient);
  });
  if (asked == s.recipients.end())
    return refused("wrong-recipient", "<" + message->recipient + "> was not asked for a receipt by message " + s.message_id);
  const directory::Member* owner = c.directory ? c.directory->lookup_address(asked->address) : nullptr;
  // The seal names the first member of its gateway: a service provider's
  // gateway seals one copy for all its customers, and each signs its own.
  const directory::Member* sealed_for = c.directory ? c.directory->find_id(s.member) : nullptr;
  if (!owner || owner->id != member || !sealed_for || !same_gateway(*sealed_for, *owner))
    return refused("forged-signer", "member " + member + " signed for <" + asked->address + ">, whose domain belongs to " +
                                        (owner ? "member " + owner->id : std::string("no member")) +
                                        " (the message was sealed for member " + s.member + ")");
  smime::ReceiptOptions options;
  options.trust = c.trust;
  options.allowed_signer_fingerprints = fingerprints;
  options.at_time = now;
  if (fingerprints.empty()) return refused("forged-signer", "member " + member + " has no usable certificate");
  auto check = smime::verify_receipt(message->receipt, s.signed_data, options);
  if (!check) return trouble(check.error());
  if (!check->ok()) {
    std::string why = std::string(smime::to_string(check->reason)) + (check->detail.empty() ? "" : ": " + check->detail);
    if (check->reason == smime::Reason::malformed) return refused("malformed", why);
    if (check->reason == smime::Reason::revocation_unknown)  // our CRL, not the receipt: the member retries
      return trouble(Error{451, "4.7.5", "cannot check the receipt signer's revocation status now: " + why});
    return refused(signer_reason(check->reason) ? "forged-signer" : "bad-signature", why);
  }
  // The file first (so it is on disk before the 250), then the ledger, then
  // the index entry: a replay writes nothing new (the same octets).
  std::string sha256;
  if (c.evidence) {
    auto put = c.evidence->put(message->receipt);
    if (!put) return trouble(put.error());
    sha256 = *put;
  }
  auto before = c.ledger->settle(*id, asked->address, check->signing_time, now, sha256, check->signer_fingerprint);
  if (!before) return trouble(before.error());
  if (!*before) return refused("unknown", "no pending request for <" + asked->address + "> under identifier " + *id);
  if (**before == evidence::ReceiptState::received) return refused("replayed", "a receipt for <" + asked->address + "> was already accepted");
  if (**before == evidence::ReceiptState::timed_out)
    return refused("late", "the request for <" + asked->address + "> had already timed out");
  if (**before == evidence::ReceiptState::failed)
    return refused("late", "the sealed copy for <" + asked->address + "> had bounced");
  ReceiptIntake out{"accepted", "receipt signed by member " + member + " (certificate " +
                                    check->signer_fingerprint.substr(0, 16) + ") for <" + asked->address + ">, message " +
                                    s.message_id + ", signed " + (check->signing_time ? mime::format_date(check->signing_time) : "(no time)"),
                    std::nullopt, {}, {}, *id, asked->address};
  if (c.evidence) {
    evidence::EvidenceEntry entry;
    entry.kind = evidence::EvidenceKind::receipt;
    entry.sha256 = sha256;
    entry.message_id = s.message_id;
    entry.content_identifier = *id;
    entry.member = member;
    entry.address = asked->address;
    entry.at = now;
    entry.keep_until = receipt_keep_until(*c.evidence, s.message_id, *id, now + c.config.evidence.retention.count());
    if (auto ok = c.evidence->record(entry); !ok) {
      // Not provable later: the member retries (the request is open again).
      reopen_request(*c.ledger, out);
      return trouble(Error{451, "4.3.0", "receipt evidence not indexed: " + ok.error().text});
    }
  }
  if (s.sender.empty()) return out;
  ConfirmedDelivery delivery{asked->address, asked->orcpt, message->receipt, check->signing_time};
  auto dsn = receipt_dsn(c.config, reported(s), delivery, now);
  if (!dsn) {
    reopen_request(*c.ledger, out);
    return trouble(dsn.error());
  }
  out.report = std::move(*dsn);
  out.report_to = s.sender;
  return out;
}

void reopen_request(evidence::ReceiptLedger& ledger, const ReceiptIntake& intake) {
  if (auto r = ledger.reopen(intake.content_identifier, intake.recipient); !r)
    log::error("receipt for <{}> (identifier {}) settled but its report was not queued, and the request cannot be reopened: {}",
               intake.recipient, intake.content_identifier, r.error().text);
}

Result<Resolution> take_receipt(const config::Config& config, queue::Spool& spool, const MemberTrust& trust,
                                SealedFailures& failures, const std::string& client, const mail::Envelope& env,
                                Received received) {
  const std::string id = received.id;
  auto refuse = [&](std::string result, const std::string& detail) -> Result<Resolution> {
    count_receipt(result);
    log::warn("{}: receipt refused ({}): {}", id, result, detail);
    return std::unexpected(receipt_refusal());
  };
  if (env.recipients.size() != 1) return refuse("malformed", "a receipt message must be addressed to the receipt address alone");
  auto text = received.text();
  if (!text) return std::unexpected(text.error());
  Opener opener(config, trust.keys, trust.directory, *trust.certificates, trust.replays);
  InboundOutcome out = opener.process(env, std::move(*text));
  if (out.sealed_failure) {
    count_receipt("unverified");
    log::warn("{}: receipt refused (unverified): {}", id, out.log);
    return sealed_failure_answer(failures, client, out);
  }
  if (out.action == InboundOutcome::Action::reject && out.rejection.temporary()) {
    log::info("{}: receipt message deferred: {}", id, out.log);
    return std::unexpected(out.rejection);
  }
  if (out.action == InboundOutcome::Action::drop) return refuse("replayed", out.log);
  if (out.result != "pass") return refuse("unverified", out.log);
  auto dir = trust.directory ? trust.directory() : nullptr;
  auto header = mime::HeaderBlock::parse(out.message);
  auto from = header ? header->get("From") : std::nullopt;
  auto from_list = from ? smime::detail::parse_mailbox_list(*from) : std::nullopt;
  const directory::Member* member = dir && from_list && from_list->size() == 1 ? dir->lookup_address(from_list->front()) : nullptr;
  if (!member) return refuse("unverified", "the receipt message's From: is not a member's");
  auto trust_store = trust.keys->trust();
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  ReceiptChecking checking{config, dir.get(), trust_store.get(), trust.ledger.get(), trust.evidence.get()};
  ReceiptIntake intake = check_receipt_message(checking, out.message, member->id, trust.certificates->fingerprints(*member), now);
  if (intake.local_trouble) {
    log::warn("{}: receipt deferred: {}", id, intake.detail);
    return std::unexpected(*intake.local_trouble);
  }
  if (!intake.accepted()) return refuse(intake.result, intake.detail);
  count_receipt("accepted");
  Resolution res;
  res.claim = std::move(out.claim);
  if (intake.report.empty()) {
    log::info("{}: receipt accepted: {}; the original had the null sender: no report", id, intake.detail);
    res.dropped_id = id;
    return res;
  }
  LocalMessage report{"receipt", intake.report_to, intake.report, now, false};
  if (trust.test_agent && trust.test_agent->take_report(report)) {  // about mail the agent sent on a trigger
    log::info("{}: receipt accepted: {}; delivery report to the test agent", id, intake.detail);
    res.dropped_id = id;
    return res;
  }
  auto copy = write_local_message(spool, report);
  if (!copy) {
    reopen_request(*trust.ledger, intake);
    return std::unexpected(copy.error());
  }
  // Settled before the report is on disk: if its commit fails, the member
  // gets a 4xx and retries, and that retry must settle it again.
  res.after_commit = [ledger = trust.ledger, intake](bool committed) {
    if (!committed) reopen_request(*ledger, intake);
  };
  log::info("{}: receipt accepted: {}; delivery report to <{}> queued as {}", id, intake.detail, intake.report_to,
            (*copy)->id());
  res.copies.push_back(std::move(*copy));
  return res;
}

}  // namespace sm::gateway
