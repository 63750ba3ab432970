// feed.h - the signed directory feed: what the authority publishes and
// every gateway verifies.
//
// Format: canonical JSON (UTF-8, keys sorted, no insignificant whitespace,
// members sorted by id, lists in given order) of
//   {"format":"securemail-directory/1","serial":N,"issued":"2026-11-23T12:00:00Z",
//    "authority":"CN=...","members":[{...member fields...}],
//    "requirements":{"profile":"1.0","since":"2026-12-01","grace_days":90}}
// ("requirements" only when the authority set them: Requirements)
// wrapped in a CMS SignedData (DER, attached content, SHA-256) signed by the
// authority's key with the authority certificate included. Canonical form
// means the same member list always gives the same bytes, so the signature
// and ETags are stable.
//
// The SignedData's crls set carries the authority's current CRL (not part
// of the signed JSON: its own signature by the authority makes it
// trustworthy), so every gateway gets a fresh CRL with each feed; see
// feed_crl.h for what a gateway accepts from it.
//
// A gateway trusts the authority's signature over the whole member list:
// verify_feed does not parse or chain member certificates (that made the
// first apply of a 100,000-member feed take 25-40 s). Each certificate is
// checked when it is first used (member_certificate.h). The authority
// checks every certificate before it publishes (registry.cpp), and
// parse_feed with a trust store does the same for tools.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "directory/member.h"
#include "pki/openssl.h"
#include "pki/trust.h"
#include "util/error.h"

namespace sm::directory {

inline constexpr std::string_view kFeedFormat = "securemail-directory/1";

// What the authority requires of every member gateway: the certification
// requirements profile (issue 17), from a date, with a grace period. Not
// set: nothing is required, and canonical_json writes no "requirements"
// field, so a feed without it keeps its bytes, signature and ETag; older
// gateways skip the field as an unknown one.
struct Requirements {
  std::string profile;   // "MAJOR.MINOR"; empty: none
  std::string since;     // YYYY-MM-DD
  std::uint64_t grace_days = 0;
  bool set() const { return !profile.empty(); }
  bool operator==(const Requirements&) const = default;
};

struct Feed {
  std::uint64_t serial = 0;
  std::int64_t issued = 0;  // unix seconds
  std::string authority;    // subject of the signing authority
  std::vector<Member> members;  // sorted by id once parsed
  Requirements requirements;
  bool operator==(const Feed&) const = default;
};

std::string canonical_json(const Feed& feed);
std::string member_json(const Member& member);  // one member, canonical (API bodies use it)

// Why a feed was refused. Every rejection keeps the gateway on its last good copy.
enum class Rejection {
  malformed,             // not CMS, not JSON, wrong format tag, bad field (detail names it: "members[3].domains[0]")
  bad_signature,         // the CMS signature does not verify
  wrong_authority,       // signed, but not by our authority's certificate
  rollback,              // serial lower than the one we hold (equal is "unchanged", not an error)
  stale,                 // issued longer ago than max_age (or more than 5 minutes in the future)
  duplicate_domain,      // one domain under two members (or twice under one)
  duplicate_member,      // two members with one id
  certificate_mismatch,  // a member certificate does not name every one of its domains, does not parse, or does not
                         // chain to the authority (the authority's checks and parse_feed; on a gateway, the
                         // first-use check of member_certificate.h refuses the member instead)
};
std::string_view to_string(Rejection r);  // "bad-signature", ...

struct FeedError {
  Rejection reason = Rejection::malformed;
  std::string detail;
  std::string text() const;  // "bad-signature: ..." one line
};

template <class T>
using FeedResult = std::expected<T, FeedError>;

// Parse and validate the JSON (structure, ids, domains, duplicates,
// certificates against the authority when `authority` is not null: each
// must parse, chain to it for S/MIME encryption at the feed's issue time
// and name every domain of its member). Members come back sorted by id.
FeedResult<Feed> parse_feed(std::string_view json, const pki::TrustStore* authority = nullptr);
// One member object as member_json() writes it (API bodies); the same
// field checks as in a feed, paths relative to the member ("domains[0]").
FeedResult<Member> parse_member(std::string_view json);

// The largest signed feed or JSON text accepted (bigger: malformed).
inline constexpr std::size_t kMaxFeedBytes = std::size_t{1} << 30;

// Sign canonical_json(feed) with the authority key and certificate; DER.
// A crl, when given, rides in the SignedData's crls set.
Result<std::string> sign_feed(const Feed& feed, const EVP_PKEY* key, const X509* cert,
                              const X509_CRL* crl = nullptr);

struct VerifyOptions {
  const X509* authority = nullptr;   // the only certificate allowed to sign the feed
  std::uint64_t current_serial = 0;  // refuse lower serials (0: accept any)
  std::chrono::seconds max_age{std::chrono::hours(72)};
  std::int64_t now = 0;              // 0: time(nullptr)
};
// Verify a signed feed (DER CMS) and return it parsed and validated
// (structure, unique ids and domains; member certificates are left to
// their first use).
// The pointers in `options` must outlive the call (and a Replica holding them).
FeedResult<Feed> verify_feed(std::string_view signed_feed, const VerifyOptions& options);

// The same, keeping the CRLs found in the SignedData's crls set as they
// are: not checked here (feed_crl.h decides which one a gateway takes).
struct VerifiedFeed {
  Feed feed;
  std::vector<ossl::X509CrlPtr> crls;
};
FeedResult<VerifiedFeed> verify_feed_with_crls(std::string_view signed_feed, const VerifyOptions& options);

}  // namespace sm::directory
