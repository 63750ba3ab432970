// fixtures.h - the certification fixtures (issue 17): test members below
// the facility's domain whose S/MIME certificates are bad on purpose, so
// that the runner can sign test mail with them and see the target refuse
// it (SEC-SIGNER-*). Each is listed in the real directory by the real
// authority (a target must be certified as it runs, with its own
// directory), carries the capability certification-fixture, and is
// allowed there only below an active facility's domain
// (directory/member.h is_fixture). Gateways check its certificate on first
// use like any member's and refuse it, which is what is tested.
//
//   fx-expired  expired.<F>  expired yesterday
//   fx-notyet   notyet.<F>   valid from ten years on
//   fx-revoked  revoked.<F>  revoked before it was ever published (the CRL
//                            the feed carries lists it)
//   fx-wrongca  wrongca.<F>  from another authority, DATA/certify/rogue-ca
//   fx-weak     weak.<F>     an RSA-1024 key (80 bits, under security
//                            level 2's 112: NIST SP 800-57)
//   fx-nocrl    nocrl.<F>    issued by a subordinate CA below the authority
//                            (DATA/certify/nocrl-ca, name constraints: F
//                            only) that publishes its CRL nowhere; the
//                            certificate names one at a .invalid host
//                            (RFC 6761), so its revocation cannot be known
//
// Keys and certificates live in DATA/certify/fixtures/<name>/ of the
// facility (key.pem 0600, cert.pem, and chain.pem with the intermediate
// when there is one: the runner puts it in the signature, so the chain
// builds and only the CRL is missing).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pki/authority.h"
#include "util/error.h"

namespace sm::certify {

struct FixtureSpec {
  std::string_view name;     // "expired": the subdomain, the folder, the member id's tail
  std::string_view case_id;  // "SEC-SIGNER-EXPIRED"
  std::string_view what;     // "a certificate that expired yesterday"
};
inline constexpr FixtureSpec kFixtures[] = {
    {"expired", "SEC-SIGNER-EXPIRED", "a certificate that expired yesterday"},
    {"notyet", "SEC-SIGNER-NOTYET", "a certificate valid only from ten years on"},
    {"revoked", "SEC-SIGNER-REVOKED", "a certificate the authority revoked"},
    {"wrongca", "SEC-SIGNER-WRONGCA", "a certificate from another authority"},
    {"weak", "SEC-SIGNER-WEAK", "a certificate for an RSA-1024 key"},
    {"nocrl", "SEC-SIGNER-NOCRL", "a certificate whose issuer publishes no CRL"},
};

// fx-weak: its key is one pki::read_private_key() takes only as
// pki::KeyAcceptance::weak_fixture.
constexpr bool has_weak_key(const FixtureSpec& spec) { return spec.name == "weak"; }

// Decoys: test members whose certificate is good but whose endpoint is one
// of the facility's decoy listeners (gateway/facility_listeners.h). A
// target asked to send to decoy@<name>.<F> must never get as far as MAIL.
//
//   fx-strip   strip.<F>   [facility] strip: STARTTLS never offered
//   fx-badtls  badtls.<F>  [facility] badtls: a TLS certificate no directory lists
inline constexpr FixtureSpec kDecoys[] = {
    {"strip", "SEC-OUT-STRIP", "an endpoint that never offers STARTTLS"},
    {"badtls", "SEC-OUT-BADTLS", "an endpoint whose TLS certificate no directory lists"},
};

struct Fixture {
  FixtureSpec spec;
  std::string member_id, domain;  // "fx-expired", "expired.facility.example"
  std::filesystem::path key, cert;
  std::filesystem::path chain;  // the intermediate (chain.pem), or empty when the authority issued it
};

// data: the facility's data folder.
std::filesystem::path fixtures_folder(const std::filesystem::path& data);

struct FixtureSetup {
  std::string facility_domain;  // F
  std::string endpoint;         // HOST:PORT the fixtures list: the facility's inbound listener
  std::string jurisdiction;     // the facility's
  // The endpoint of each decoy listener by name ("strip", "badtls"): a
  // decoy member is made for each given.
  std::vector<std::pair<std::string, std::string>> decoys;
};

// Make the fixtures for the facility with `authority`, opened from
// `authority_dir` (`securemail certify setup`, testnet): keys,
// certificates, the rogue CA (kept in DATA/certify/rogue-ca once made),
// the revocation; then add each to the authority's registry, or update
// the member of that id when there is one (fixtures made anew); publish
// afterwards. Refuses when the fixtures folder already exists.
Result<std::vector<Fixture>> make_fixtures(pki::Authority& authority, const std::filesystem::path& authority_dir,
                                           const std::filesystem::path& data, const FixtureSetup& setup);

// The fixtures made for the facility in `data` (those whose key and
// certificate are there).
std::vector<Fixture> load_fixtures(const std::filesystem::path& data, const std::string& facility_domain);

}  // namespace sm::certify
