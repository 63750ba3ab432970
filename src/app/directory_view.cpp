// directory_view.cpp - how `directory show`, `list --json` and `lookup`
// present a member: JSON for scripts (certificates as fingerprints and
// facts, never whole PEMs) and aligned "key  value" lines for people.
#include <sstream>

#include "app/directory_parts.h"
#include "pki/certificate.h"

namespace sm::app::dir {
namespace {

using directory::Member;

std::string iso_or_empty(std::int64_t t) { return t ? pki::iso_time(t) : std::string(); }

nlohmann::json certificate_view(const std::string& pem) {
  auto certs = pki::parse_certificates_pem(pem);
  if (!certs || certs->empty()) return {{"error", "does not parse"}};
  auto info = pki::describe(certs->front().get());
  return {{"fingerprint", info.fingerprint}, {"subject", info.subject},       {"serial", info.serial},
          {"key_type", info.key_type},       {"not_before", pki::iso_time(info.not_before)},
          {"not_after", pki::iso_time(info.not_after)}, {"domains", info.dns_names}};
}

std::string joined(const std::vector<std::string>& items, std::string_view none = "-") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out.empty() ? std::string(none) : out;
}

}  // namespace

nlohmann::json member_view(const Member& m) {
  nlohmann::json certs = nlohmann::json::array();
  for (const auto& pem : m.certificates) certs.push_back(certificate_view(pem));
  nlohmann::json certification = nullptr;
  if (!m.certification.profile.empty())
    certification = {{"profile", m.certification.profile}, {"date", m.certification.date}, {"result", m.certification.result}};
  return {{"id", m.id},
          {"organisation", m.organisation},
          {"status", directory::to_string(m.status)},
          {"tier", directory::to_string(m.tier)},
          {"domains", m.domains},
          {"include_subdomains", m.include_subdomains},
          {"endpoints", m.endpoints},
          {"certificates", certs},
          {"capabilities", m.capabilities},
          {"jurisdiction", m.jurisdiction},
          {"admin_contact", m.admin_contact},
          {"max_marking", m.max_marking},
          {"certification", certification},
          {"created", iso_or_empty(m.created)},
          {"updated", iso_or_empty(m.updated)}};
}

std::string member_text(const Member& m) {
  std::ostringstream out;
  auto line = [&out](std::string_view key, const std::string& value) {
    out << key << std::string(key.size() < 14 ? 14 - key.size() : 1, ' ') << value << "\n";
  };
  line("id", m.id);
  line("organisation", m.organisation);
  line("status", std::string(directory::to_string(m.status)));
  line("tier", std::string(directory::to_string(m.tier)));
  line("domains", joined(m.domains) + (m.include_subdomains ? " (and their subdomains)" : ""));
  line("endpoints", joined(m.endpoints));
  for (const auto& pem : m.certificates) {
    auto c = certificate_view(pem);
    if (c.contains("error")) {
      line("certificate", "(does not parse)");
      continue;
    }
    line("certificate", c["fingerprint"].get<std::string>() + " " + c["key_type"].get<std::string>() + " not after " +
                            c["not_after"].get<std::string>());
  }
  line("capabilities", joined(m.capabilities));
  line("jurisdiction", m.jurisdiction.empty() ? "-" : m.jurisdiction);
  line("admin", m.admin_contact.empty() ? "-" : m.admin_contact);
  line("max marking", m.max_marking.empty() ? "-" : m.max_marking);
  const auto& c = m.certification;
  line("certified", c.profile.empty() ? "never" : "profile " + c.profile + " on " + c.date + ": " + c.result);
  line("created", iso_or_empty(m.created));
  line("updated", iso_or_empty(m.updated));
  return out.str();
}

}  // namespace sm::app::dir
