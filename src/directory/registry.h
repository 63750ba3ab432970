// registry.h - the authority's side of the directory: the member list kept
// in AUTH/directory.sqlite, edited by `securemail directory add|update|
// suspend|remove`, and published as a signed feed (AUTH/directory/feed.cms
// plus feed.json for people) with the next serial.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "directory/feed.h"
#include "pki/authority.h"
#include "pki/trust.h"
#include "store/sqlite.h"
#include "util/error.h"

namespace sm::directory {

class Registry {
 public:
  // Opens (creating on first use) AUTH/directory.sqlite; AUTH/ca.pem (and
  // crl.pem when present) are what member certificates are checked against.
  static Result<Registry> open(const std::filesystem::path& authority_dir);

  // add: refuses an existing id or a domain another member holds;
  // certificates must chain to the authority and name every domain.
  // created/updated are set here. Domains are stored lower-case and an
  // empty admin_contact becomes securemailadmin@<first domain>.
  // update, set_status: the same checks (a member may keep its domains).
  // Refusals are permanent errors (5xx), storage failures temporary (4xx).
  Result<> add(Member member);
  Result<> update(const Member& member);          // by id; updated = now
  Result<> set_status(std::string_view id, Status status);
  Result<> remove(std::string_view id);
  Result<std::vector<Member>> list() const;
  Result<Member> get(std::string_view id) const;

  // Sign the current list with the authority (serial = last + 1, issued =
  // now) and write AUTH/directory/feed.cms (DER) and feed.json atomically.
  // Returns the feed. Refuses (and burns no serial) when gateways would
  // refuse the feed, e.g. a member certificate revoked since it was added.
  // The feed carries the authority's CRL (AUTH/crl.pem), published afresh
  // first when it has less than half its validity left (or is missing, or
  // not the authority's), so gateways always get one valid for weeks.
  Result<Feed> publish(pki::Authority& authority);
  // The same with the authority's key and certificate given directly, and
  // the CRL to carry (none when null).
  Result<Feed> publish(const EVP_PKEY* key, const X509* cert, const X509_CRL* crl = nullptr);

  // What every member gateway must meet (the certification profile, from
  // a date, with a grace period), carried by every feed published from
  // now on. An empty profile clears it. Refused (550 5.7.0) when the feed
  // reader would refuse it (profile not MAJOR.MINOR, date not YYYY-MM-DD).
  Result<> set_requirements(const Requirements& required);
  Result<Requirements> requirements() const;

  static std::filesystem::path feed_file(const std::filesystem::path& authority_dir) {
    return authority_dir / "directory" / "feed.cms";
  }
  static std::filesystem::path feed_json_file(const std::filesystem::path& authority_dir) {
    return authority_dir / "directory" / "feed.json";
  }

 private:
  Registry(std::filesystem::path dir, store::Database db, pki::TrustStore trust)
      : dir_(std::move(dir)), db_(std::move(db)), trust_(std::move(trust)) {}
  Result<Member> checked(Member member, std::int64_t now) const;
  Result<> write(const Member& member, bool is_new);
  Result<std::uint64_t> next_serial(std::int64_t issued);
  Result<ossl::X509CrlPtr> fresh_crl(pki::Authority& authority);

  std::filesystem::path dir_;
  mutable store::Database db_;
  pki::TrustStore trust_;
};

}  // namespace sm::directory
