// doctor_checks_directory.cpp - doctor checks on the member directory:
// a copy held (DATA/directory.sqlite, verified against [directory]
// authority), fresh (within max_age), listing each of our domains under
// one member with our active certificate and an endpoint, and every other
// active member's endpoints reachable (TCP, all at once, 3 s each).
#include <algorithm>
#include <ctime>

#include "app/doctor_checks.h"
#include "directory/replica.h"
#include "gateway/directory_service.h"
#include "pki/certificate.h"
#include "pki/keyring.h"

namespace sm::app {
namespace fs = std::filesystem;
namespace {
using Status = DoctorCheck::Status;

// Fingerprints of the gateway's active certificates.
std::vector<std::string> our_fingerprints(const config::Config& config) {
  std::vector<std::string> out;
  if (auto ring = pki::Keyring::load(config.data_dir))
    for (const auto& set : ring->sets())
      if (set.active()) out.push_back(pki::fingerprint(set.cert.get()));
  return out;
}

bool lists_one_of(const directory::Member& m, const std::vector<std::string>& fingerprints) {
  for (const auto& pem : m.certificates)
    if (auto certs = pki::parse_certificates_pem(pem))
      for (const auto& c : *certs)
        if (std::find(fingerprints.begin(), fingerprints.end(), pki::fingerprint(c.get())) != fingerprints.end())
          return true;
  return false;
}

void check_listing(const config::Config& config, const directory::Directory& dir, DoctorReport& report) {
  auto ours = our_fingerprints(config);
  for (const auto& domain : config.domains) {
    std::string name = "directory " + domain;
    const directory::Member* m = dir.lookup_domain(domain);
    if (!m) {
      report.push_back({name, Status::fail, "the directory does not list " + domain,
                        "ask the directory authority to add " + domain + " to this gateway's member entry"});
    } else if (!lists_one_of(*m, ours)) {
      report.push_back({name, Status::fail, "member " + m->id + " does not list this gateway's certificate",
                        "send the authority the certificate from `securemail keys show`"});
    } else if (m->endpoints.empty()) {
      report.push_back({name, Status::fail, "member " + m->id + " lists no endpoint",
                        "ask the authority to list this gateway's inbound host:port"});
    } else {
      report.push_back({name, Status::ok, "listed as member " + m->id + " with this certificate", ""});
    }
  }
}

void check_peers(const config::Config& config, const directory::Directory& dir, DoctorReport& report) {
  std::vector<config::Endpoint> targets;
  std::vector<std::string> names;
  for (const auto& m : dir.feed().members) {
    if (m.status != directory::Status::active) continue;
    if (std::any_of(m.domains.begin(), m.domains.end(), [&](const auto& d) { return config.receives_for(d); })) continue;
    for (const auto& e : m.endpoints)
      if (auto ep = config::parse_endpoint(e, false)) {
        targets.push_back(*ep);
        names.push_back("peer " + m.id + " " + e);
      } else {
        report.push_back({"peer " + m.id, Status::warn, "endpoint " + e + ": " + ep.error(), "tell the authority"});
      }
  }
  auto results = try_connect(targets, std::chrono::milliseconds(3000));
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (results[i].empty())
      report.push_back({names[i], Status::ok, "reachable", ""});
    else
      report.push_back({names[i], Status::warn, "not reachable: " + results[i],
                        "mail to this member waits in the queue until it answers; tell its admin"});
  }
}

}  // namespace

void check_directory(const config::Config& config, DoctorReport& report) {
  if (!config.directory.feed.enabled()) {
    report.push_back({"directory", Status::ok, "no [directory] feed: the gateway runs without a directory", ""});
    return;
  }
  std::error_code ec;
  if (!fs::exists(directory::Replica::database_file(config.data_dir), ec)) {
    report.push_back({"directory", Status::fail, "no copy held (" + directory::Replica::database_file(config.data_dir).string() + " missing)",
                      "start the gateway so it fetches " + config.directory.feed.str()});
    return;
  }
  auto local = gateway::open_local_directory(config);
  if (!local) {
    report.push_back({"directory", Status::fail, local.error().text, "fix directory.authority"});
    return;
  }
  const auto& replica = *local->replica;
  if (auto err = replica.load_error()) {
    report.push_back({"directory", Status::fail, "stored copy does not verify: " + err->text(),
                      "check directory.authority is the authority that signs " + config.directory.feed.str()});
    return;
  }
  auto dir = replica.current();
  std::int64_t issued = dir->feed().issued, now = std::time(nullptr);
  std::string age = "serial " + std::to_string(dir->serial()) + ", issued " + pki::iso_time(issued);
  if (dir->serial() == 0)
    report.push_back({"directory", Status::fail, "no copy held", "start the gateway so it fetches " + config.directory.feed.str()});
  else if (replica.stale(now))
    report.push_back({"directory", Status::fail, "stale copy: " + age + ", older than max_age " + config::format_duration(config.directory.max_age),
                      "check that " + config.directory.feed.str() + " is reachable and the authority publishes"});
  else
    report.push_back({"directory", Status::ok, "fresh copy: " + age, ""});
  if (dir->serial() == 0) return;
  check_listing(config, *dir, report);
  check_peers(config, *dir, report);
}

}  // namespace sm::app
