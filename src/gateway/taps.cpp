// taps.cpp - journal and interception copies (see taps.h).
//
// Both are plain S/MIME messages (no SecureMail-Envelope): the message as
// given, signed with our key for the primary domain and encrypted to one
// certificate, from the null sender (a copy that cannot be delivered is
// never bounced to the original's sender), on the normal lane.
//
// Interception copies are discreet: no log line here names them, their
// envelope says discreet (the delivery agent and the queue listing keep
// quiet about them) and ENVID is the order's reference, so the delivery
// agent can name the order in the audit entry for the delivery. Each copy
// is an audit entry "intercept.copy" made before the copy is handed back;
// an entry that cannot be written defers the message like any other
// failure to make a required copy.
#include "gateway/taps.h"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "pki/certificate.h"
#include "policy/intercept.h"
#include "smime/bio_chain.h"
#include "smime/engine.h"
#include "util/log.h"

namespace sm::gateway {
namespace {

class PolicyTaps : public Taps {
 public:
  PolicyTaps(const config::Config& config, queue::Spool& spool, std::shared_ptr<const GatewayKeys> keys,
             std::shared_ptr<audit::AuditTrail> trail, std::unique_ptr<policy::OrderWatch> orders,
             std::vector<ossl::X509Ptr> archive)
      : config_(config),
        spool_(spool),
        keys_(std::move(keys)),
        trail_(std::move(trail)),
        orders_(std::move(orders)),
        archive_(std::move(archive)),
        engine_(config) {}

  Result<std::vector<std::unique_ptr<queue::SpoolWriter>>> copies(
      const mail::Envelope& env, const std::vector<std::size_t>& recipients, const policy::MessageFacts& facts,
      const std::vector<policy::RecipientFacts>& rcpts, std::string_view message) override {
    std::vector<std::unique_ptr<queue::SpoolWriter>> out;
    const std::int64_t now = std::time(nullptr);
    if (auto ok = intercept(env, recipients, facts, message, now, out); !ok) return std::unexpected(ok.error());
    if (auto ok = journal(env, facts, rcpts, message, now, out); !ok) return std::unexpected(ok.error());
    return out;
  }

 private:
  Result<> intercept(const mail::Envelope& env, const std::vector<std::size_t>& recipients,
                     const policy::MessageFacts& facts, std::string_view message, std::int64_t now,
                     std::vector<std::unique_ptr<queue::SpoolWriter>>& out) {
    std::vector<std::string> parties;
    if (!env.sender.empty()) parties.push_back(env.sender);
    if (!facts.from.empty()) parties.push_back(facts.from);
    for (auto i : recipients) parties.push_back(env.recipients.at(i).address);
    auto orders = orders_->active(parties, now);
    if (!orders) return local_error("interception orders: " + orders.error().text);
    for (const auto& order : *orders) {
      auto certs = pki::parse_certificates_pem(order.certificate);
      if (!certs) return local_error("interception order certificate: " + certs.error().text);
      mail::Envelope copy_env = copy_envelope(order.deliver_to, now);
      copy_env.discreet = true;
      copy_env.envid = order.reference;
      auto copy = sealed_copy(copy_env, *certs, message);
      if (!copy) return std::unexpected(copy.error());
      nlohmann::json details = {{"copy", (*copy)->id()}, {"deliver_to", order.deliver_to},
                                {"direction", facts.outbound ? "outbound" : "inbound"}, {"target", order.target}};
      auto entry = trail_->append("gateway", "intercept.copy", env.id, order.reference, details.dump(), now);
      if (!entry) return local_error("audit trail: " + entry.error().text);
      out.push_back(std::move(*copy));
    }
    return {};
  }

  Result<> journal(const mail::Envelope& env, const policy::MessageFacts& facts,
                   const std::vector<policy::RecipientFacts>& rcpts, std::string_view message, std::int64_t now,
                   std::vector<std::unique_ptr<queue::SpoolWriter>>& out) {
    if (config_.journal.address.empty()) return {};
    std::vector<std::string> rules;
    for (const auto& r : rcpts)
      for (auto& name : engine_.journal(facts, r))
        if (std::find(rules.begin(), rules.end(), name) == rules.end()) rules.push_back(std::move(name));
    if (rules.empty()) return {};
    auto copy = sealed_copy(copy_envelope(config_.journal.address, now), archive_, message);
    if (!copy) return std::unexpected(copy.error());
    std::string names;
    for (const auto& n : rules) names += (names.empty() ? "" : ", ") + n;
    log::info("{}: journal copy {} to <{}> (rule {})", env.id, (*copy)->id(), config_.journal.address, names);
    out.push_back(std::move(*copy));
    return {};
  }

  static mail::Envelope copy_envelope(const std::string& to, std::int64_t now) {
    mail::Envelope env;
    env.recipients.push_back({to, "rfc822;" + to, mail::kNotifyNever});
    env.listener = "internal";
    env.arrival = now;
    env.lane = mail::Lane::normal;
    return env;
  }

  // Signed with our key for the primary domain, encrypted to `to`.
  Result<std::unique_ptr<queue::SpoolWriter>> sealed_copy(const mail::Envelope& env,
                                                          const std::vector<ossl::X509Ptr>& to,
                                                          std::string_view message) {
    const pki::KeySet* key = keys_->signer_for(config_.domain);
    if (!key) return local_error("no key of ours names " + config_.domain + " to sign a required copy with");
    std::vector<smime::Recipient> recipients;
    for (const auto& c : to) recipients.push_back({c.get(), true});
    ossl::BioPtr sealed(BIO_new(BIO_s_mem()));
    if (!sealed) return local_error("out of memory");
    if (auto ok = smime::seal(smime::MessageSource::memory(std::string(message)), sealed.get(), keys_->identity(*key),
                              recipients);
        !ok)
      return std::unexpected(ok.error());
    auto w = spool_.create(env);
    if (!w) return std::unexpected(w.error());
    if (auto ok = (*w)->write(smime::detail::mem_view(sealed.get())); !ok) return std::unexpected(ok.error());
    return w;
  }

  const config::Config& config_;
  queue::Spool& spool_;
  std::shared_ptr<const GatewayKeys> keys_;
  std::shared_ptr<audit::AuditTrail> trail_;
  std::unique_ptr<policy::OrderWatch> orders_;
  std::vector<ossl::X509Ptr> archive_;
  policy::Engine engine_;
};

}  // namespace

Result<Records> open_records(const config::Config& config, queue::Spool& spool, std::shared_ptr<const GatewayKeys> keys) {
  auto trail = audit::AuditTrail::open(config.data_dir);
  if (!trail) return std::unexpected(trail.error());
  auto orders = policy::OrderWatch::open(config.data_dir);
  if (!orders) return std::unexpected(orders.error());
  std::vector<ossl::X509Ptr> archive;
  if (!config.journal.address.empty()) {
    auto certs = pki::read_certificates(config.journal.certificate);
    if (!certs) return local_error("[journal] certificate: " + certs.error().text);
    archive = std::move(*certs);
  }
  Records records{std::shared_ptr<audit::AuditTrail>(std::move(*trail)), nullptr};
  records.taps = std::make_unique<PolicyTaps>(config, spool, std::move(keys), records.trail, std::move(*orders),
                                              std::move(archive));
  return records;
}

}  // namespace sm::gateway
