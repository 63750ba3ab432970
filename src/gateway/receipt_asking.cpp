// receipt_asking.cpp - choosing who gets a receipt request, and keeping the
// ledger rows and evidence of sealed copies (see receipt_asking.h).
#include "gateway/receipt_asking.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "mime/header.h"
#include "pki/keyring.h"
#include "util/log.h"

namespace sm::gateway {
namespace {

// A whole small file (the authority certificate, the CRL); nullopt when absent.
std::optional<std::string> read_small_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void forget_requests(evidence::ReceiptLedger& ledger, const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (auto gone = ledger.forget(id); !gone) log::warn("receipt request {} not forgotten: {}", id, gone.error().text);
}

}  // namespace

config::Config::Receipts::Request receipt_policy(const config::Config& config,
                                                 const config::Config::RelayClient* client) {
  if (client && client->receipts) return *client->receipts;
  return config.receipts.request;
}

std::vector<std::size_t> receipt_recipients(config::Config::Receipts::Request policy, const mail::Envelope& env,
                                            const std::vector<std::size_t>& group) {
  std::vector<std::size_t> out;
  for (auto i : group) {
    const auto& r = env.recipients.at(i);
    bool asked = (r.notify & mail::kNotifySuccess) != 0;
    if (asked || policy == config::Config::Receipts::Request::always) out.push_back(i);
  }
  return out;
}

unsigned without_success(unsigned notify) {
  if (!(notify & mail::kNotifySuccess)) return notify;
  unsigned rest = notify & ~static_cast<unsigned>(mail::kNotifySuccess) & ~static_cast<unsigned>(mail::kNotifyNever);
  return rest ? rest : static_cast<unsigned>(mail::kNotifyNever);
}

void strip_success(mail::Envelope& copy, const std::vector<std::size_t>& group, const std::vector<std::size_t>& asked) {
  for (std::size_t k = 0; k < group.size() && k < copy.recipients.size(); ++k)
    if (std::find(asked.begin(), asked.end(), group[k]) != asked.end())
      copy.recipients[k].notify = without_success(copy.recipients[k].notify);
}

std::string message_id_of(std::string_view message) {
  auto block = mime::HeaderBlock::parse(message);
  if (!block) return {};
  auto id = block->get("Message-ID");
  return id ? evidence::bare_message_id(*id) : std::string();
}

SealKeeping::SealKeeping(const config::Config& config, std::shared_ptr<evidence::ReceiptLedger> ledger,
                         std::shared_ptr<evidence::EvidenceStore> evidence, const config::Config::RelayClient* client,
                         const mail::Envelope& env, std::string message_id, std::int64_t now)
    : config_(config),
      ledger_(std::move(ledger)),
      evidence_(std::move(evidence)),
      env_(env),
      message_id_(std::move(message_id)),
      now_(now) {
  auto retention = client && client->evidence_retention ? *client->evidence_retention : config.evidence.retention;
  keep_until_ = now + retention.count();
}

Result<std::optional<smime::ReceiptRequest>> SealKeeping::request_for(const std::vector<std::size_t>& asked) const {
  if (asked.empty() || !ledger_) return std::optional<smime::ReceiptRequest>();
  auto id = smime::new_content_identifier();
  if (!id) return std::unexpected(id.error());
  smime::ReceiptRequest request;
  request.content_identifier = std::move(*id);
  request.receipts_from_all = true;
  request.receipts_to = {config_.receipt_address()};
  return std::optional<smime::ReceiptRequest>(std::move(request));
}

Result<> SealKeeping::keep(const SealedCopy& copy) {
  if (ledger_ && !copy.asked.empty()) {
    evidence::SealRecord seal;
    seal.content_identifier = copy.record.content_identifier;
    seal.message_id = message_id_;
    seal.sender = env_.sender;
    seal.envid = env_.envid;
    seal.member = copy.member;
    seal.queue_id = copy.queue_id;
    seal.sealed_at = now_;
    seal.signed_data = copy.record.signed_data;
    for (auto i : copy.asked) seal.recipients.push_back({env_.recipients.at(i).address, env_.recipients.at(i).orcpt});
    if (seal.content_identifier.empty() || seal.signed_data.empty()) {
      forget_all();
      return local_error("the seal for member " + copy.member + " did not report the signature its receipt request needs");
    }
    if (auto added = ledger_->add(seal); !added) {
      forget_all();
      return std::unexpected(added.error());
    }
    added_.push_back(seal.content_identifier);
  }
  if (auto kept = keep_evidence(copy); !kept) {
    forget_all();
    return kept;
  }
  return {};
}

Result<> SealKeeping::keep_evidence(const SealedCopy& copy) {
  if (!evidence_) return {};
  evidence::EvidenceEntry entry;
  entry.message_id = message_id_;
  entry.content_identifier = copy.record.content_identifier;
  entry.member = copy.member;
  entry.address = env_.sender;
  entry.at = now_;
  entry.keep_until = keep_until_;
  entry.kind = evidence::EvidenceKind::sent;
  if (auto kept = evidence_->keep(copy.signed_entity, entry); !kept) return std::unexpected(kept.error());
  // The authority and CRL in force: what `evidence export` hands a verifier.
  const std::pair<evidence::EvidenceKind, std::filesystem::path> trust_files[] = {
      {evidence::EvidenceKind::authority, pki::Keyring::anchors_file(config_.data_dir)},
      {evidence::EvidenceKind::crl, pki::Keyring::crl_file(config_.data_dir)}};
  for (const auto& [kind, path] : trust_files) {
    auto pem = read_small_file(path);
    if (!pem) continue;  // no CRL yet: nothing to keep
    entry.kind = kind;
    if (auto kept = evidence_->keep(*pem, entry); !kept) return std::unexpected(kept.error());
  }
  return {};
}

void SealKeeping::forget_all() {
  if (ledger_) forget_requests(*ledger_, added_);
  added_.clear();
}

std::function<void(bool)> SealKeeping::after_commit() const {
  if (added_.empty()) return {};
  return [ledger = ledger_, ids = added_](bool committed) {
    if (!committed) forget_requests(*ledger, ids);
  };
}

}  // namespace sm::gateway
