// directory_gateway.cpp - a gateway's side of `securemail directory`:
// `lookup` answers from the gateway's replica (DATA/directory.sqlite, the
// last good signed feed) in the same JSON as the admin API's
// GET /v1/directory/lookup, plus the fingerprints and the result of the
// first-use check of the member's certificates (gateway/member_certs.h); `fetch` gets the [directory] feed now, verifies
// it and applies it. Both use the gateway's own helpers
// (gateway/directory_service.h), so the command line can never judge a feed
// differently from the running gateway. They work on a stopped gateway; a
// running one keeps its own schedule and sees a fetched feed as unchanged.
#include <iostream>

#include "app/directory_parts.h"
#include "config/config.h"
#include "gateway/directory_api.h"
#include "gateway/directory_service.h"
#include "gateway/member_certs.h"

namespace sm::app::dir {
namespace {

nlohmann::json change_view(const directory::Change& c) {
  return {{"kind", directory::to_string(c.kind)}, {"member_id", c.member_id}, {"organisation", c.organisation}};
}

}  // namespace

int lookup(const Args& a) {
  const char* what = "directory lookup";
  int code = 2;
  auto cfg = resolve_config(a.data, what, &code);
  if (!cfg) return code;
  // The query is read exactly as the admin API reads it (lookup_json).
  std::string domain = nlohmann::json::parse(gateway::lookup_json(*directory::Directory::empty(), a.query))["domain"];
  if (!config::is_hostname(domain))
    return bad_usage(what, "ADDRESS_OR_DOMAIN: \"" + a.query + "\" has no domain name (user@domain or domain)");
  auto local = gateway::open_local_directory(*cfg);
  if (!local) return failed(what, local.error().text);
  auto dir = local->replica->current();
  auto answer = nlohmann::json::parse(gateway::lookup_json(*dir, a.query));
  if (dir->serial() == 0)
    std::cerr << "securemail " << what << ": " << cfg->data_dir.string()
              << " holds no directory feed yet; run `securemail directory fetch`\n";
  else if (local->replica->stale())
    std::cerr << "securemail " << what << ": warning: the feed held (serial " << dir->serial()
              << ") is older than [directory] max_age\n";

  const directory::Member* m = dir->lookup_domain(domain);
  // The check a gateway makes when it first uses the member's certificates.
  std::string check = "ok";
  if (m) {
    gateway::MemberCertificates certs([trust = local->trust] { return trust; });
    if (auto checked = certs.of(*m); !checked) check = "refused: " + checked.error().text;
  }
  if (a.json) {
    nlohmann::json fingerprints = nlohmann::json::array();
    if (m)
      for (const auto& pem : m->certificates) fingerprints.push_back(pem_fingerprint(pem));
    answer["fingerprints"] = fingerprints;
    if (m) answer["certificate_check"] = check;
    std::cout << answer.dump(2) << "\n";
  } else if (m) {
    std::cout << a.query << ": member " << m->id << " (" << m->organisation << "), " << directory::to_string(m->status)
              << "; directory serial " << dir->serial() << "\n"
              << member_text(*m) << "certificates  " << check << " (the check made when a gateway first uses them)\n";
  } else {
    std::cout << a.query << ": not a member (directory serial " << dir->serial() << ")\n";
  }
  return m ? 0 : 1;
}

int fetch(const Args& a) {
  const char* what = "directory fetch";
  int code = 2;
  auto cfg = resolve_config(a.data, what, &code);
  if (!cfg) return code;
  if (!cfg->directory.feed.enabled())
    return bad_usage(what, cfg->source + ": [directory] feed is not set (e.g. feed = \"https://directory.example/feed.cms\")");
  auto report = gateway::fetch_once(*cfg);
  if (!report) return failed(what, cfg->directory.feed.str() + ": " + report.error().text);
  if (a.json) {
    nlohmann::json changes = nlohmann::json::array();
    for (const auto& c : report->changes) changes.push_back(change_view(c));
    std::cout << nlohmann::json{{"serial", report->serial}, {"changed", report->changed}, {"changes", changes}}.dump(2)
              << "\n";
    return 0;
  }
  std::cout << "serial " << report->serial << (report->changed ? "" : " (unchanged)") << "\n";
  for (const auto& c : report->changes)
    std::cout << directory::to_string(c.kind) << " " << c.member_id << " (" << c.organisation << ")\n";
  return 0;
}

}  // namespace sm::app::dir
