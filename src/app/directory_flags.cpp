// directory_flags.cpp - turns the member flags of `directory add|update`
// into a directory::Member: each value is checked and normalised here
// (domains lower-case, endpoints "host:port", country codes upper-case) and
// a bad one is reported naming its flag. What only the registry can judge -
// a domain held by another member, a certificate from another authority or
// not naming the domains - is left to directory::Registry.
#include <algorithm>
#include <cctype>
#include <ctime>

#include "app/directory_parts.h"
#include "config/config.h"
#include "pki/certificate.h"
#include "util/text.h"

namespace sm::app::dir {
namespace {

using directory::Member;

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool all_of(std::string_view s, bool (*ok)(char)) { return !s.empty() && std::all_of(s.begin(), s.end(), ok); }

const std::vector<std::string_view>& known_capabilities() {
  static const std::vector<std::string_view> all{directory::kCapAuthEnveloped, directory::kCapRsaOaep,
                                                 directory::kCapEc, directory::kCapReceipts,
                                                 directory::kCapFacility};
  return all;
}

Checked<std::vector<std::string>> check_domains(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (auto d : given) {
    d = ascii_lower(d);
    if (!d.empty() && d.back() == '.') d.pop_back();
    if (!config::is_hostname(d) || d.find('.') == std::string::npos)
      return std::unexpected("--domain: \"" + d + "\" is not a mail domain (e.g. agency.example)");
    if (std::find(out.begin(), out.end(), d) != out.end())
      return std::unexpected("--domain: \"" + d + "\" is given twice");
    out.push_back(std::move(d));
  }
  return out;
}

Checked<std::vector<std::string>> check_endpoints(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const auto& e : given) {
    auto ep = config::parse_endpoint(e, false);
    if (!ep) return std::unexpected("--endpoint: \"" + e + "\": " + ep.error() + " (expected HOST:PORT)");
    if (!config::is_hostname(ep->host) && !config::is_ip_literal(ep->host))
      return std::unexpected("--endpoint: \"" + e + "\": the host is neither a host name nor an IP address");
    out.push_back(ep->str());
  }
  return out;
}

// Every certificate in each file, as one PEM each; a repeated one is kept once.
Checked<std::vector<std::string>> read_certs(const std::vector<std::string>& files, const char* flag) {
  std::vector<std::string> out, seen;
  for (const auto& file : files) {
    auto certs = pki::read_certificates(file);
    if (!certs) return std::unexpected(std::string(flag) + " " + file + ": " + certs.error().text);
    for (const auto& c : *certs) {
      std::string fp = pki::fingerprint(c.get());
      if (std::find(seen.begin(), seen.end(), fp) != seen.end()) continue;
      seen.push_back(fp);
      out.push_back(pki::to_pem(c.get()));
    }
  }
  return out;
}

std::string normalise_fingerprint(std::string text) {
  std::erase(text, ':');
  return ascii_lower(text);
}

// --add-cert and --remove-cert on top of the current list (rotation overlap).
Checked<> rotate_certs(const MemberFlags& f, std::vector<std::string>& certs) {
  if (f.has("add-cert")) {
    auto added = read_certs(f.add_certs, "--add-cert");
    if (!added) return std::unexpected(added.error());
    for (auto& pem : *added) {
      std::string fp = pem_fingerprint(pem);
      bool held = std::any_of(certs.begin(), certs.end(), [&](const auto& c) { return pem_fingerprint(c) == fp; });
      if (!held) certs.push_back(std::move(pem));
    }
  }
  for (const auto& given : f.remove_certs) {
    std::string want = normalise_fingerprint(given);
    if (want.size() < 8 || !all_of(want, [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }))
      return std::unexpected("--remove-cert: \"" + given + "\" is not a SHA-256 fingerprint (hex, at least 8 digits)");
    auto matches = std::count_if(certs.begin(), certs.end(), [&](const auto& c) { return pem_fingerprint(c).starts_with(want); });
    if (matches == 0) return std::unexpected("--remove-cert: the member holds no certificate with fingerprint " + want);
    if (matches > 1) return std::unexpected("--remove-cert: " + want + " matches several certificates; give more digits");
    std::erase_if(certs, [&](const auto& c) { return pem_fingerprint(c).starts_with(want); });
  }
  if (certs.empty()) return std::unexpected("--remove-cert: a member needs at least one certificate; add the new one first");
  return {};
}

Checked<std::vector<std::string>> check_capabilities(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (auto c : given) {
    c = ascii_lower(c);
    const auto& known = known_capabilities();
    if (std::find(known.begin(), known.end(), c) == known.end())
      return std::unexpected("--capability: unknown capability \"" + c +
                             "\" (one of auth-enveloped, rsa-oaep, ec, signed-receipts)");
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(std::move(c));
  }
  return out;
}

bool is_admin_address(std::string_view a) {
  auto at = a.rfind('@');
  if (at == std::string_view::npos || at == 0) return false;
  std::string_view local = a.substr(0, at);
  bool local_ok = std::all_of(local.begin(), local.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
  });
  return local_ok && !local.starts_with('.') && !local.ends_with('.') && local.find("..") == std::string_view::npos &&
         config::is_hostname(a.substr(at + 1));
}

bool is_iso_date(const std::string& d) {
  struct tm tm {};
  const char* end = strptime(d.c_str(), "%Y-%m-%d", &tm);
  if (!end || *end || d.size() != 10) return false;
  struct tm copy = tm;
  time_t t = timegm(&copy);
  struct tm back {};
  gmtime_r(&t, &back);
  return back.tm_mday == tm.tm_mday && back.tm_mon == tm.tm_mon;  // refuses 2026-02-30
}

// PROFILE:DATE:RESULT, e.g. "1.0:2026-11-01:pass".
Checked<directory::Certification> check_certified(const std::string& text) {
  const std::string what = "--certified: \"" + text + "\": ";
  auto a = text.find(':'), b = text.rfind(':');
  if (a == std::string::npos || a == b) return std::unexpected(what + "expected PROFILE:DATE:RESULT, e.g. 1.0:2026-11-01:pass");
  directory::Certification c{text.substr(0, a), text.substr(a + 1, b - a - 1), ascii_lower(text.substr(b + 1))};
  if (!all_of(c.profile, [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-'; }))
    return std::unexpected(what + "the profile version must be letters, digits, '.' or '-'");
  if (!is_iso_date(c.date)) return std::unexpected(what + "the date must be YYYY-MM-DD");
  if (c.result != "pass" && c.result != "fail") return std::unexpected(what + "the result must be pass or fail");
  return c;
}

// A protective marking as accredited, e.g. "RESTRICTED" or "IN-CONFIDENCE"; "" clears it.
Checked<std::string> check_marking(const std::string& text) {
  std::string m = upper(text);
  bool ok = m.size() <= 64 && std::all_of(m.begin(), m.end(), [](char c) {
              return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == ' ';
            });
  if (!ok) return std::unexpected("--max-marking: \"" + text + "\" is not a protective marking (letters, digits, '-', ' ')");
  return m;
}

// The scalar flags: organisation, jurisdiction, admin, tier, marking, certification.
Checked<> apply_scalars(const MemberFlags& f, Member& m) {
  if (f.has("org")) {
    if (f.org.empty() || f.org.find_first_of("\r\n") != std::string::npos)
      return std::unexpected("--org: the organisation name must be one non-empty line");
    m.organisation = f.org;
  }
  if (f.has("jurisdiction")) {
    std::string j = upper(f.jurisdiction);
    if (j.size() != 2 || !all_of(j, [](char c) { return c >= 'A' && c <= 'Z'; }))
      return std::unexpected("--jurisdiction: \"" + f.jurisdiction + "\" is not an ISO 3166-1 alpha-2 country code (e.g. NZ)");
    m.jurisdiction = j;
  }
  if (f.has("admin")) {
    if (!is_admin_address(f.admin)) return std::unexpected("--admin: \"" + f.admin + "\" is not an email address");
    m.admin_contact = f.admin;
  }
  if (f.has("tier")) {
    auto t = directory::parse_tier(f.tier);
    if (!t) return std::unexpected("--tier: \"" + f.tier + "\" is not a tier (member or trusted-partner)");
    m.tier = *t;
  }
  if (f.has("max-marking")) {
    auto mk = check_marking(f.max_marking);
    if (!mk) return std::unexpected(mk.error());
    m.max_marking = *mk;
  }
  if (f.has("certified")) {
    auto c = check_certified(f.certified);
    if (!c) return std::unexpected(c.error());
    m.certification = *c;
  }
  return {};
}

// The list flags: domains, endpoints, certificates, capabilities.
Checked<> apply_lists(const MemberFlags& f, Member& m) {
  if (f.has("domain")) {
    auto d = check_domains(f.domains);
    if (!d) return std::unexpected(d.error());
    bool default_admin = m.admin_contact.empty() || (!m.domains.empty() && m.admin_contact == "securemailadmin@" + m.domains[0]);
    m.domains = std::move(*d);
    if (default_admin && !f.has("admin")) m.admin_contact = "securemailadmin@" + m.domains[0];
  }
  if (f.has("subdomains")) m.include_subdomains = f.subdomains;
  if (f.has("endpoint")) {
    auto e = check_endpoints(f.endpoints);
    if (!e) return std::unexpected(e.error());
    m.endpoints = std::move(*e);
  }
  if (f.has("cert")) {
    auto c = read_certs(f.certs, "--cert");
    if (!c) return std::unexpected(c.error());
    m.certificates = std::move(*c);
  }
  if (f.has("add-cert") || f.has("remove-cert"))
    if (auto r = rotate_certs(f, m.certificates); !r) return r;
  if (f.has("capability")) {
    auto c = check_capabilities(f.capabilities);
    if (!c) return std::unexpected(c.error());
    m.capabilities = std::move(*c);
  }
  return {};
}

}  // namespace

Checked<> apply_flags(const MemberFlags& f, Member& m) {
  if (auto r = apply_lists(f, m); !r) return r;
  return apply_scalars(f, m);
}

std::vector<std::string> default_capabilities(const std::vector<std::string>& certificates_pem) {
  std::vector<std::string> caps{std::string(directory::kCapAuthEnveloped), std::string(directory::kCapReceipts)};
  bool rsa = false, ec = false;
  for (const auto& pem : certificates_pem) {
    auto certs = pki::parse_certificates_pem(pem);
    if (!certs || certs->empty()) continue;
    std::string type = pki::describe(certs->front().get()).key_type;
    rsa |= type.starts_with("rsa");
    ec |= type.starts_with("ec");
  }
  if (rsa) caps.emplace_back(directory::kCapRsaOaep);
  if (ec) caps.emplace_back(directory::kCapEc);
  return caps;
}

std::string pem_fingerprint(const std::string& pem) {
  auto certs = pki::parse_certificates_pem(pem);
  if (!certs || certs->empty()) return {};
  return pki::fingerprint(certs->front().get());
}

}  // namespace sm::app::dir
