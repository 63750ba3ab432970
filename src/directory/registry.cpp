// registry.cpp - the authority's member list in AUTH/directory.sqlite and
// publishing it as a signed feed (see registry.h).
//
// Each member is stored as its canonical member JSON, so the registry and
// the feed read and write entries through the same strict codec; a domains
// table with the domain as primary key makes "one member per domain" a
// constraint the database keeps, not just a check here. The serial is
// committed before the feed files are written: a crash in between burns a
// serial (gaps are harmless) but never publishes two feeds with one serial.
//
// Every feed carries the authority's CRL beside the signed JSON, so the
// gateways' CRLs are renewed with the directory; publish keeps that CRL at
// least half its validity (15 of 30 days) away from expiry.
#include "directory/registry.h"

#include <openssl/err.h>

#include <ctime>
#include <sstream>

#include "directory/codec.h"
#include "directory/feed_crl.h"
#include "directory/syntax.h"
#include "directory/validate.h"
#include "pki/certificate.h"
#include "pki/key.h"

namespace sm::directory {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMigrations[] = {R"sql(
CREATE TABLE members (
  id   TEXT PRIMARY KEY,
  body TEXT NOT NULL              -- member_json(): the canonical entry
);
CREATE TABLE domains (
  domain    TEXT PRIMARY KEY,     -- lower-case; one member per domain
  member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE
);
CREATE TABLE publications (
  serial INTEGER PRIMARY KEY,     -- strictly increasing, never reused
  issued INTEGER NOT NULL         -- unix seconds
);
)sql",
                                            R"sql(
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,         -- "requirements": "PROFILE SINCE GRACE_DAYS" (checked values, no spaces)
  value TEXT NOT NULL
);
)sql"};

std::unexpected<Error> refused(std::string text) { return fail(550, "5.7.0", std::move(text)); }

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

// The CRL is the authority's and has at least half its validity left.
bool has_half_left(const X509_CRL* crl, const X509* authority, std::int64_t now) {
  auto this_update = crl_time(X509_CRL_get0_lastUpdate(crl));
  auto next_update = crl_time(X509_CRL_get0_nextUpdate(crl));
  EVP_PKEY* key = X509_get0_pubkey(authority);
  if (!this_update || !next_update || key == nullptr) return false;
  if (X509_CRL_verify(const_cast<X509_CRL*>(crl), key) != 1) {
    ERR_clear_error();  // not the authority's: a fresh one is made
    return false;
  }
  std::int64_t left = *next_update - now;
  return left > 0 && 2 * left >= *next_update - *this_update;
}

Result<Member> decode_row(std::string_view body) {
  auto member = parse_member(body);
  if (!member) return local_error("stored member entry is corrupt: " + member.error().text());
  return std::move(*member);
}

}  // namespace

Result<Registry> Registry::open(const fs::path& authority_dir) {
  auto trust = pki::TrustStore::load(pki::Authority::certificate_file(authority_dir),
                                     pki::Authority::crl_file(authority_dir), {.require_crl = false});
  if (!trust) return std::unexpected(trust.error());
  auto db = store::Database::open(authority_dir / "directory.sqlite", kMigrations);
  if (!db) return std::unexpected(db.error());
  return Registry(authority_dir, std::move(*db), std::move(*trust));
}

// The member as it will be stored: normalised, every field checked as a
// feed reader would, and its certificates checked against the authority.
Result<Member> Registry::checked(Member member, std::int64_t now) const {
  for (std::string& d : member.domains) d = detail::to_lower(d);
  auto normal = parse_member(member_json(member));  // also fills the default admin_contact
  if (!normal) return refused("member " + member.id + ": " + normal.error().detail);
  Feed alone;
  alone.members.push_back(std::move(*normal));
  if (auto r = detail::check_unique(alone); !r) return refused(r.error().text());
  std::vector<std::string> facilities;
  const Member& m = alone.members.front();
  if (m.has(kCapFixture)) {
    if (m.has(kCapFacility)) return refused("member " + m.id + ": a certification fixture cannot be the facility too");
    if (m.include_subdomains || m.tier != Tier::member || !m.max_marking.empty())
      return refused("member " + m.id + ": a certification fixture has no subdomains, partner tier or marking");
    auto all = list();
    if (!all) return std::unexpected(all.error());
    facilities = facility_domains(*all);
    if (!is_fixture(m, facilities))
      return refused("member " + m.id + ": a certification fixture's domains must lie below an active "
                     "certification-facility member's domain");
  }
  if (auto r = detail::check_certificates(alone, trust_, now, &facilities); !r) return refused(r.error().text());
  return std::move(alone.members.front());
}

// Insert or replace the member and its domains; refuses a domain held by
// another member. The caller holds the transaction.
Result<> Registry::write(const Member& member, bool is_new) {
  auto owner = db_.prepare("SELECT member_id FROM domains WHERE domain = ? AND member_id <> ?");
  if (!owner) return std::unexpected(owner.error());
  for (const std::string& d : member.domains) {
    owner->bind(1, d).bind(2, member.id);
    auto row = owner->step();
    if (!row) return std::unexpected(row.error());
    if (*row) return refused("domain " + d + " is already held by member " + owner->text_at(0));
    owner->reset();
  }
  const char* sql = is_new ? "INSERT INTO members (id, body) VALUES (?, ?)"
                           : "UPDATE members SET body = ? WHERE id = ?";
  auto put = db_.prepare(sql);
  if (!put) return std::unexpected(put.error());
  std::string body = member_json(member);
  if (is_new) put->bind(1, member.id).bind(2, body);
  else put->bind(1, body).bind(2, member.id);
  if (auto r = put->run(); !r) return r;
  auto clear = db_.prepare("DELETE FROM domains WHERE member_id = ?");
  if (!clear) return std::unexpected(clear.error());
  if (auto r = clear->bind(1, member.id).run(); !r) return r;
  auto add = db_.prepare("INSERT INTO domains (domain, member_id) VALUES (?, ?)");
  if (!add) return std::unexpected(add.error());
  for (const std::string& d : member.domains)
    if (auto r = add->bind(1, d).bind(2, member.id).run(); !r) return r;
  return {};
}

Result<> Registry::add(Member member) {
  std::int64_t now = now_seconds();
  member.created = member.updated = now;
  auto m = checked(std::move(member), now);
  if (!m) return std::unexpected(m.error());
  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  if (get(m->id)) return refused("member " + m->id + " already exists");
  if (auto r = write(*m, true); !r) return r;
  return tx->commit();
}

Result<> Registry::update(const Member& member) {
  std::int64_t now = now_seconds();
  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto stored = get(member.id);
  if (!stored) return std::unexpected(stored.error());
  Member next = member;
  next.created = stored->created;
  next.updated = now;
  auto m = checked(std::move(next), now);
  if (!m) return std::unexpected(m.error());
  if (auto r = write(*m, false); !r) return r;
  return tx->commit();
}

Result<> Registry::set_status(std::string_view id, Status status) {
  auto stored = get(id);
  if (!stored) return std::unexpected(stored.error());
  stored->status = status;
  return update(*stored);
}

Result<> Registry::remove(std::string_view id) {
  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  if (auto stored = get(id); !stored) return std::unexpected(stored.error());
  auto del = db_.prepare("DELETE FROM members WHERE id = ?");
  if (!del) return std::unexpected(del.error());
  if (auto r = del->bind(1, id).run(); !r) return r;
  return tx->commit();
}

Result<std::vector<Member>> Registry::list() const {
  auto stmt = db_.prepare("SELECT body FROM members ORDER BY id");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<Member> members;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    auto m = decode_row(stmt->text_at(0));
    if (!m) return std::unexpected(m.error());
    members.push_back(std::move(*m));
  }
  return members;
}

Result<Member> Registry::get(std::string_view id) const {
  auto stmt = db_.prepare("SELECT body FROM members WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->bind(1, id).step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return refused("no member " + std::string(id));
  return decode_row(stmt->text_at(0));
}

Result<std::uint64_t> Registry::next_serial(std::int64_t issued) {
  auto last = db_.prepare("SELECT COALESCE(MAX(serial), 0) FROM publications");
  if (!last) return std::unexpected(last.error());
  auto row = last->step();
  if (!row) return std::unexpected(row.error());
  auto serial = static_cast<std::uint64_t>(last->int_at(0)) + 1;
  auto insert = db_.prepare("INSERT INTO publications (serial, issued) VALUES (?, ?)");
  if (!insert) return std::unexpected(insert.error());
  if (auto r = insert->bind(1, static_cast<std::int64_t>(serial)).bind(2, issued).run(); !r)
    return std::unexpected(r.error());
  return serial;
}

// The authority's CRL as it stands, or a fresh one when it has less than
// half its validity left (or cannot be used): a feed is good for max_age
// (72 h) and gateways keep the CRL of the last feed, so the one carried
// must stay valid long after publication.
Result<ossl::X509CrlPtr> Registry::fresh_crl(pki::Authority& authority) {
  fs::path file = pki::Authority::crl_file(authority.dir());
  if (auto held = pki::read_crl(file); held && has_half_left(held->get(), authority.certificate(), now_seconds()))
    return std::move(*held);
  auto crl = authority.publish_crl();
  if (!crl) return std::unexpected(crl.error());
  // Member certificates are checked against the CRL gateways will hold.
  auto trust = pki::TrustStore::load(pki::Authority::certificate_file(authority.dir()), file, {.require_crl = false});
  if (!trust) return std::unexpected(trust.error());
  trust_ = std::move(*trust);
  return crl;
}

Result<Feed> Registry::publish(pki::Authority& authority) {
  auto crl = fresh_crl(authority);
  if (!crl) return std::unexpected(crl.error());
  return publish(authority.key(), authority.certificate(), crl->get());
}

Result<Feed> Registry::publish(const EVP_PKEY* key, const X509* cert, const X509_CRL* crl) {
  if (key == nullptr || cert == nullptr) return local_error("publishing needs the authority key and certificate");
  auto members = list();
  if (!members) return std::unexpected(members.error());
  Feed feed;
  feed.issued = now_seconds();
  feed.authority = pki::describe(cert).subject;
  feed.members = std::move(*members);
  auto required = requirements();
  if (!required) return std::unexpected(required.error());
  feed.requirements = std::move(*required);
  if (auto r = detail::check_unique(feed); !r)
    return refused("gateways would refuse this feed: " + r.error().text());
  if (auto r = detail::check_certificates(feed, trust_, feed.issued); !r)
    return refused("gateways would refuse this feed: " + r.error().text());

  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto serial = next_serial(feed.issued);
  if (!serial) return std::unexpected(serial.error());
  feed.serial = *serial;
  auto der = sign_feed(feed, key, cert, crl);
  if (!der) return std::unexpected(der.error());
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());

  std::error_code ec;
  fs::create_directories(feed_file(dir_).parent_path(), ec);
  if (ec) return local_error(feed_file(dir_).parent_path().string() + ": " + ec.message());
  if (auto r = pki::write_file_atomic(feed_json_file(dir_), canonical_json(feed)); !r)
    return std::unexpected(r.error());
  if (auto r = pki::write_file_atomic(feed_file(dir_), *der); !r) return std::unexpected(r.error());
  return feed;
}

Result<> Registry::set_requirements(const Requirements& required) {
  if (!required.set()) {
    auto del = db_.prepare("DELETE FROM settings WHERE key = 'requirements'");
    if (!del) return std::unexpected(del.error());
    return del->run();
  }
  Feed probe;
  probe.requirements = required;
  // The feed reader is the judge of what may go out.
  std::string json = canonical_json(probe);
  if (auto parsed = parse_feed(json); !parsed && parsed.error().detail.starts_with("requirements"))
    return refused(parsed.error().detail);
  auto put = db_.prepare("INSERT OR REPLACE INTO settings (key, value) VALUES ('requirements', ?)");
  if (!put) return std::unexpected(put.error());
  return put->bind(1, required.profile + " " + required.since + " " + std::to_string(required.grace_days)).run();
}

Result<Requirements> Registry::requirements() const {
  auto get = db_.prepare("SELECT value FROM settings WHERE key = 'requirements'");
  if (!get) return std::unexpected(get.error());
  auto row = get->step();
  if (!row) return std::unexpected(row.error());
  Requirements r;
  if (!*row) return r;
  std::istringstream in(get->text_at(0));
  if (!(in >> r.profile >> r.since >> r.grace_days)) return local_error("stored requirements are corrupt");
  return r;
}

}  // namespace sm::directory
