// member.h - one entry of the member directory: an organisation (or a
// gateway service provider's customer) with its domains, its gateway, its
// certificates and what it may receive.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm::directory {

enum class Status { active, suspended };
enum class Tier { member, trusted_partner };
std::string_view to_string(Status s);  // "active", "suspended"
std::string_view to_string(Tier t);    // "member", "trusted-partner"
std::optional<Status> parse_status(std::string_view text);
std::optional<Tier> parse_tier(std::string_view text);

// Capability names in the feed (unknown names are kept and ignored, so an
// older gateway reads a newer feed):
inline constexpr std::string_view kCapAuthEnveloped = "auth-enveloped";  // AES-256-GCM AuthEnvelopedData; absent: AES-256-CBC EnvelopedData
inline constexpr std::string_view kCapRsaOaep = "rsa-oaep";              // RSA-OAEP key transport; absent: PKCS#1 v1.5
inline constexpr std::string_view kCapEc = "ec";                         // EC keys / ECDH key agreement
inline constexpr std::string_view kCapReceipts = "signed-receipts";      // RFC 2634 signed receipts
// The authority's certification facility (issue 17): every gateway's
// self-test pings its test agent.
inline constexpr std::string_view kCapFacility = "certification-facility";
// A certification fixture (issue 17): a test member whose certificate is
// bad on purpose (expired, not yet valid, revoked, from another
// authority), so that the facility can sign with it and see the target
// refuse. The authority lists it only when every domain of it lies below
// an active facility's domain (is_fixture); gateways check its
// certificate on first use like any other and refuse it.
inline constexpr std::string_view kCapFixture = "certification-fixture";

struct Member;
// "x.f.example" is below "f.example" (not equal to it, case as given).
bool is_subdomain_of(std::string_view domain, std::string_view parent);
// The domains of the active certification facilities among `members`.
std::vector<std::string> facility_domains(const std::vector<Member>& members);
// Is `m` a certification fixture: kCapFixture, not a facility itself, and
// every one of its domains below one of `facilities`?
bool is_fixture(const Member& m, const std::vector<std::string>& facilities);

struct Certification {
  std::string profile;  // requirements profile version, e.g. "1.0"; empty: never certified
  std::string date;     // ISO 8601 date
  std::string result;   // "pass", "fail"
  bool operator==(const Certification&) const = default;
};

struct Member {
  std::string id;                     // [a-z0-9][a-z0-9.-]*, unique in the feed
  std::string organisation;
  std::vector<std::string> domains;   // lower-case, unique across the whole feed
  bool include_subdomains = false;    // x.a.example is covered by a.example
  std::vector<std::string> endpoints; // inbound SMTP "host:port", tried in order
  std::vector<std::string> certificates;  // PEM, one certificate each; several during a key rotation
  std::vector<std::string> capabilities;
  std::string jurisdiction;           // ISO 3166-1 alpha-2, upper-case
  std::string admin_contact;          // default securemailadmin@<first domain>
  Status status = Status::active;
  std::int64_t created = 0, updated = 0;  // unix seconds
  Tier tier = Tier::member;
  std::string max_marking;            // highest protective marking accredited, e.g. "RESTRICTED"; empty: none
  Certification certification;

  bool has(std::string_view capability) const;
  bool operator==(const Member&) const = default;
};

}  // namespace sm::directory
