// record_views.cpp - JSON of receipt requests, accounts and key sets
// (record_views.h).
#include "admin/record_views.h"

#include "pki/certificate.h"

namespace sm::admin {

nlohmann::json time_json(std::int64_t t) { return t ? nlohmann::json(pki::iso_time(t)) : nlohmann::json(nullptr); }

nlohmann::json receipt_rows_json(const std::vector<evidence::ReceiptRow>& rows) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& r : rows)
    all.push_back({{"content_identifier", r.content_identifier},
                   {"message_id", r.message_id},
                   {"recipient", r.recipient},
                   {"member", r.member},
                   {"state", evidence::to_string(r.state)},
                   {"sealed_at", time_json(r.sealed_at)},
                   {"signed_at", time_json(r.signed_at)},
                   {"settled_at", time_json(r.settled_at)},
                   {"sender", r.sender},
                   {"queue_id", r.queue_id},
                   {"receipt_sha256", r.receipt_sha256},
                   {"signer_fingerprint", r.signer_fingerprint}});
  return all;
}

nlohmann::json account_json(const auth::Account& a) {
  auto flag = [](const auth::Flag& f) {
    nlohmann::json j = {{"set", f.set}};
    if (f.set) j.update({{"by", f.by}, {"at", time_json(f.at)}});
    if (!f.level.empty()) j["level"] = f.level;
    return j;
  };
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& d : a.devices)
    devices.push_back({{"name", d.name}, {"created_at", time_json(d.created_at)},
                       {"last_used_at", time_json(d.last_used_at)}, {"strong", d.strong}});
  return {{"name", a.name},
          {"addresses", a.addresses},
          {"enabled", a.enabled},
          {"created_at", time_json(a.created_at)},
          {"totp", a.totp},
          {"recovery_codes_left", a.recovery_codes_left},
          {"strong_capable", a.strong_capable()},
          {"devices", devices},
          {"assurance",
           {{"strong_required", flag(a.assurance.strong_required)},
            {"sole_user", flag(a.assurance.sole_user)},
            {"identity_verified", flag(a.assurance.identity_verified)}}}};
}

nlohmann::json key_set_json(const pki::KeySet& s) {
  auto i = pki::describe(s.cert.get());
  return {{"id", s.id},
          {"type", pki::to_string(s.type)},
          {"status", s.active() ? "active" : "retired"},
          {"retired_at", time_json(s.retired_at)},
          {"subject", i.subject},
          {"issuer", i.issuer},
          {"serial", i.serial},
          {"domains", i.dns_names},
          {"admin", i.emails},
          {"not_before", pki::iso_time(i.not_before)},
          {"not_after", pki::iso_time(i.not_after)},
          {"fingerprint", i.fingerprint}};
}

}  // namespace sm::admin
