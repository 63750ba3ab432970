// certify_command.cpp - `securemail certify --target DOMAIN|HOST:PORT
// --config FACILITY [--profile V] [--report FILE.json] [--max-wait 15m]`,
// `certify serve --config F`, `certify cases [--json]`, `certify profiles`.
//
// The runner works from the facility gateway's data folder: its active key
// signs the test mail and is the TLS client certificate, its directory
// copy names the target and its certificates, and the signed receipts come
// back to runner@<facility domain>, which the running facility opens,
// verifies and delivers to its Maildir, where the runner reads them; so do
// the target's agent's reports (to results@) and the test messages the
// target sends when triggered. Every
// check that can stop a run happens before the first case (exit 2, one
// line, no report).
#include "app/certify_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "app/certify_setup.h"
#include "app/cli_support.h"
#include "app/load_config.h"
#include "app/run_command.h"
#include "certify/arrivals.h"
#include "certify/fixtures.h"
#include "certify/observations.h"
#include "certify/profile.h"
#include "certify/test_protocol.h"
#include "certify/report.h"
#include "certify/runner.h"
#include "certify/smtp_probe.h"
#include "delivery/maildir.h"
#include "directory/registry.h"
#include "gateway/control_socket.h"
#include "gateway/directory_service.h"
#include "gateway/receipt_intake.h"
#include "pki/certificate.h"
#include "pki/keyring.h"
#include "smime/source.h"

namespace sm::app {
namespace {

namespace fs = std::filesystem;
const char* const kWhat = "certify";

struct CertifyArgs {
  std::string config_file, target, profile, report, max_wait = "15m", record;
  bool json = false;
};

std::string known_profiles() {
  std::string out;
  for (const auto& p : certify::profiles()) out += (out.empty() ? "" : ", ") + std::string(p.version);
  return out;
}

// "127.0.0.1:2525" -> host and port; nullopt for a domain.
std::optional<std::pair<std::string, std::uint16_t>> host_port(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) return std::nullopt;
  unsigned port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port == 0 || port > 65535) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::pair{host, static_cast<std::uint16_t>(port)};
}

// What the facility delivered to the runner's and the results Maildir
// folders after the run began: signed receipts (read as the gateway reads
// them), agents' reports and triggered test messages (certify/arrivals.h).
class FacilityInbox {
 public:
  FacilityInbox(std::vector<fs::path> folders, std::string host, fs::path observations)
      : folders_(std::move(folders)), host_(std::move(host)), observations_(std::move(observations)),
        observed_(certify::observations_end(observations_)) {
    for (auto& f : files()) seen_.insert(f);
  }
  certify::Arrivals arrived() {
    certify::Arrivals out;
    for (auto& f : files()) {
      if (!seen_.insert(f).second) continue;
      std::ifstream in(f, std::ios::binary);
      std::string text = smime::canonicalize_crlf(
          std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
      if (auto receipt = gateway::parse_receipt_message(text))
        out.receipts.push_back({receipt->message_id, receipt->recipient, receipt->receipt});
      else
        certify::sort_arrival(text, host_, out);
    }
    out.observations = certify::read_observations(observations_, observed_);
    return out;
  }

 private:
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& folder : folders_)
      for (const char* sub : {"new", "cur"})
        for (const auto& e : fs::directory_iterator(folder / sub, ec)) out.push_back(e.path().string());
    return out;
  }
  std::vector<fs::path> folders_;
  std::string host_;
  fs::path observations_;
  std::uint64_t observed_ = 0;  // read up to here
  std::set<std::string> seen_;
};

// --record AUTH: the result into the member's directory entry (sent with
// the next `directory publish`).
Result<std::string> record_result(const std::string& authority, const certify::Report& report) {
  auto registry = directory::Registry::open(authority);
  if (!registry) return std::unexpected(registry.error());
  auto member = registry->get(report.target.member);
  if (!member) return std::unexpected(member.error());
  member->certification = {report.profile, report.finished.substr(0, 10), report.passed() ? "pass" : "fail"};
  if (auto r = registry->update(*member); !r) return std::unexpected(r.error());
  return "recorded in " + authority + ": " + member->id + " profile " + member->certification.profile + " " +
         member->certification.result + " on " + member->certification.date +
         "; `securemail directory publish --authority " + authority + "` sends it to the members";
}

int run_certify(const CertifyArgs& a) {
  auto cfg = load_config(a.config_file);
  if (!cfg) return 2;
  const certify::Profile* profile = a.profile.empty() ? nullptr : certify::find_profile(a.profile);
  if (!a.profile.empty() && !profile)
    return cannot_run(kWhat, "--profile " + a.profile + ": no such requirements profile (known: " + known_profiles() + ")");
  auto max_wait = config::parse_duration(a.max_wait);
  if (!max_wait) return cannot_run(kWhat, "--max-wait " + a.max_wait + ": " + max_wait.error());

  // The facility: its key, its trust, its directory copy, running.
  auto ring = pki::Keyring::load(cfg->data_dir);
  if (!ring) return cannot_run(kWhat, "facility keys: " + ring.error().text);
  const pki::KeySet* key = ring->signing();
  if (!key) return cannot_run(kWhat, "the facility " + cfg->data_dir.string() + " holds no active key (securemail init)");
  auto info = pki::describe(key->cert.get());
  if (info.not_after <= std::time(nullptr))
    return cannot_run(kWhat, "the facility's own certificate " + info.fingerprint.substr(0, 16) + " expired on " +
                                pki::iso_time(info.not_after) + "; rotate it (securemail keys rotate) before certifying");
  if (!gateway::notify_running_gateway(cfg->data_dir, "ready"))
    return cannot_run(kWhat, "the facility gateway is not running (start it: securemail certify serve --config " +
                                a.config_file + ")");
  auto local = gateway::open_local_directory(*cfg);
  if (!local) return cannot_run(kWhat, "facility directory: " + local.error().text);
  auto directory = local->replica->current();
  if (directory->feed().members.empty())
    return cannot_run(kWhat, "the facility holds no directory yet (start it and let it fetch the feed)");
  // Without --profile: the one the directory requires, else the newest.
  if (!profile) {
    const auto& required = directory->feed().requirements;
    profile = required.set() ? certify::find_profile(required.profile) : &certify::default_profile();
    if (!profile)
      return cannot_run(kWhat, "the directory requires profile " + required.profile +
                                   ", which this software does not know (known: " + known_profiles() + "); upgrade it");
  }
  const directory::Member* facility = directory->lookup_domain(cfg->domain);
  if (!facility) return cannot_run(kWhat, "the facility's domain " + cfg->domain + " is not a member of the directory");
  if (cfg->deliver.internal.kind != config::Target::Kind::maildir)
    return cannot_run(kWhat, "the facility must deliver to a Maildir ([deliver] internal = \"maildir:...\"): receipts arrive there");

  // The target: a member, and an endpoint that answers.
  const directory::Member* target = nullptr;
  std::vector<std::pair<std::string, std::uint16_t>> endpoints;
  if (auto hp = host_port(a.target)) {
    for (const auto& m : directory->feed().members)
      for (const auto& e : m.endpoints)
        if (host_port(e) == hp) target = &m;
    if (!target) return cannot_run(kWhat, a.target + " is not the endpoint of any member of the directory (serial " +
                                             std::to_string(directory->serial()) + ")");
    endpoints.push_back(*hp);
  } else {
    target = directory->lookup_domain(a.target);
    if (!target) return cannot_run(kWhat, a.target + " is not a member of the directory (serial " +
                                             std::to_string(directory->serial()) + ")");
    for (const auto& e : target->endpoints)
      if (auto hp = host_port(e)) endpoints.push_back(*hp);
  }
  if (target->status != directory::Status::active) return cannot_run(kWhat, a.target + ": the member is suspended");
  if (target->id == facility->id) return cannot_run(kWhat, a.target + " is the facility itself");
  if (directory::is_fixture(*target, directory::facility_domains(directory->feed().members)))
    return cannot_run(kWhat, a.target + " is a certification fixture (a test member without a gateway)");
  std::optional<std::pair<std::string, std::uint16_t>> endpoint;
  std::string unreachable;
  for (const auto& e : endpoints) {
    auto probe = certify::SmtpProbe::connect(e.first, e.second, std::chrono::seconds(30));
    if (probe) {
      (*probe)->quit();
      endpoint = e;
      break;
    }
    unreachable += (unreachable.empty() ? "" : "; ") + probe.error().text;
  }
  if (!endpoint) return cannot_run(kWhat, a.target + ": unreachable: " + (unreachable.empty() ? "no endpoint listed" : unreachable));

  if (!a.record.empty()) {
    auto registry = directory::Registry::open(a.record);
    if (!registry) return cannot_run(kWhat, "--record " + a.record + ": " + registry.error().text);
    if (!registry->get(target->id)) return cannot_run(kWhat, "--record " + a.record + ": no member " + target->id + " there");
  }
  const std::string runner = "runner@" + cfg->domain;
  std::vector<fs::path> folders;
  // The runner's and results@ folders, and the test addresses where triggered mail lands.
  for (const auto& address : {runner, std::string(certify::kResultsLocalPart) + "@" + cfg->domain,
                              "tempfail@" + cfg->domain, "delay@" + cfg->domain}) {
    auto folder = delivery::maildir_folder_name(address);
    if (!folder) return cannot_run(kWhat, address + ": " + folder.error().text);
    folders.push_back(cfg->deliver.internal.path / *folder);
  }
  FacilityInbox inbox(std::move(folders), cfg->hostname, certify::observations_file(cfg->data_dir));

  // The certification fixtures' keys (testnet --with-facility makes them).
  struct FixtureKeys {
    ossl::EvpPkeyPtr key;
    ossl::X509Ptr cert, intermediate;
  };
  std::vector<FixtureKeys> fixture_keys;
  std::vector<certify::FixtureSigner> fixtures;
  const auto loaded = certify::load_fixtures(cfg->data_dir, cfg->domain);
  fixture_keys.reserve(loaded.size());  // the identities point into it
  for (const auto& f : loaded) {
    auto fkey = pki::read_private_key(
        f.key, nullptr, certify::has_weak_key(f.spec) ? pki::KeyAcceptance::weak_fixture : pki::KeyAcceptance::supported);
    auto fcert = pki::read_certificate(f.cert);
    auto chain = f.chain.empty() ? Result<ossl::X509Ptr>(ossl::X509Ptr()) : pki::read_certificate(f.chain);
    if (!fkey || !fcert || !chain)
      return cannot_run(kWhat, "certification fixture " + f.member_id + ": " +
                                   (!fkey ? fkey.error().text : !fcert ? fcert.error().text : chain.error().text));
    FixtureKeys& k = fixture_keys.emplace_back(FixtureKeys{std::move(*fkey), std::move(*fcert), std::move(*chain)});
    smime::Identity identity{k.key.get(), k.cert.get(), {}, f.member_id};
    if (k.intermediate) identity.chain.push_back(k.intermediate.get());
    fixtures.push_back({std::string(f.spec.case_id), f.domain, std::move(identity)});
  }

  certify::RunInputs in;
  in.fixtures = std::move(fixtures);
  in.profile = profile;
  in.directory = directory;
  in.trust = local->trust.get();
  in.facility = smime::Identity{key->key.get(), key->cert.get(), {}, key->id};
  for (const auto& c : key->chain) in.facility.chain.push_back(c.get());
  in.facility_member = facility->id;
  in.facility_domain = cfg->domain;
  in.target = target;
  in.given = a.target;
  in.host = endpoint->first;
  in.port = endpoint->second;
  in.runner_address = runner;
  in.helo_name = cfg->hostname;
  in.max_wait = *max_wait;
  in.facility_delay = cfg->facility.delay;
  in.arrived = [&inbox] { return inbox.arrived(); };
  in.progress = [](const certify::Outcome& o) {
    std::cerr << "  " << certify::to_string(o.status) << "  " << o.spec->id << "\n";
  };
  std::cerr << "certify: " << a.target << " (member " << target->id << ", " << in.host << ":" << in.port
            << "), profile " << profile->version << (profile->draft ? " (draft)" : "") << "\n";
  certify::Report report = certify::run_certification(in);

  if (!a.report.empty()) {
    fs::path json = a.report;
    fs::path html = json;
    html.replace_extension(".html");
    for (auto [file, text] : {std::pair{json, certify::to_json(report)}, std::pair{html, certify::to_html(report)}})
      if (auto w = pki::write_file_atomic(file, text, 0644, true); !w) return failed(kWhat, w.error().text);
  }
  std::cout << certify::to_text(report) << std::flush;
  if (!a.report.empty()) std::cout << "report: " << a.report << " and its .html beside it\n";
  if (!a.record.empty()) {
    auto recorded = record_result(a.record, report);
    if (!recorded) return failed(kWhat, "--record " + a.record + ": " + recorded.error().text);
    std::cout << *recorded << "\n";
  }
  return report.passed() ? 0 : 1;
}

int print_cases(bool json) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : certify::catalogue()) {
    nlohmann::json profiles = nlohmann::json::object();
    for (const auto& p : certify::profiles())
      if (auto r = p.requirement(c.id)) profiles[std::string(p.version)] = std::string(certify::to_string(*r));
    if (json)
      out.push_back({{"id", c.id}, {"group", certify::to_string(c.group)}, {"title", c.title}, {"cites", c.cites},
                     {"path", certify::to_string(c.path)}, {"needs", certify::needs_text(c.needs)}, {"profiles", profiles}});
    else
      std::cout << c.id << std::string(c.id.size() < 24 ? 24 - c.id.size() : 1, ' ') << c.title << " ("
                << c.cites << ")\n";
  }
  if (json) std::cout << out.dump(2) << "\n";
  return 0;
}

int print_profiles() {
  for (const auto& p : certify::profiles()) {
    int required = 0;
    for (const auto& c : p.cases) required += c.requirement == certify::Requirement::required;
    std::cout << p.version << (p.draft ? " (draft)" : "") << "  " << p.title << ", published " << p.published << ": "
              << required << " required cases, TLS " << p.tls_min << " or newer, certificates valid "
              << p.certificate_days << " more days\n";
  }
  return 0;
}

int serve(const std::string& file) {
  auto cfg = load_config(file);
  if (!cfg) return 2;
  auto ring = pki::Keyring::load(cfg->data_dir);
  if (!ring) return cannot_run("certify serve", ring.error().text);
  const pki::KeySet* key = ring->signing();
  if (!key) return cannot_run("certify serve", "no active key in " + cfg->data_dir.string() + " (securemail init)");
  auto info = pki::describe(key->cert.get());
  if (info.not_after <= std::time(nullptr))
    return cannot_run("certify serve", "the facility's own certificate expired on " + pki::iso_time(info.not_after));
  if (cfg->deliver.internal.kind != config::Target::Kind::maildir)
    return cannot_run("certify serve", "[deliver] internal must be a Maildir: the runner reads receipts there");
  return run_gateway(file, true);
}

}  // namespace

void add_certify_command(CLI::App& app, std::function<int()>& action) {
  auto a = std::make_shared<CertifyArgs>();
  auto* cmd = app.add_subcommand("certify", "Certify a member gateway against a requirements profile (run from the facility)");
  cmd->require_subcommand(0, 1);
  cmd->add_option("--target", a->target, "The gateway to certify: a member domain, or HOST:PORT of a member's endpoint");
  cmd->add_option("-c,--config", a->config_file, "The facility's config file");
  cmd->add_option("--profile", a->profile, "Requirements profile version (default: the one the directory requires, else "
                                           "the newest, " + std::string(certify::default_profile().version) + ")");
  cmd->add_option("--report", a->report, "Write the report as JSON here, and as HTML beside it (.html)");
  cmd->add_option("--max-wait", a->max_wait, "How long to wait for signed receipts (default 15m)");
  cmd->add_option("--record", a->record,
                  "The authority folder: record the result (profile, date, pass/fail) in the member's directory entry");
  cmd->callback([cmd, &action, a] {
    if (!cmd->get_subcommands().empty()) return;
    action = [a]() -> int {
      if (a->target.empty()) return bad_usage(kWhat, "--target is required (a member domain or HOST:PORT)");
      if (a->config_file.empty()) return bad_usage(kWhat, "--config is required (the facility's config file)");
      return run_certify(*a);
    };
  });
  auto serve_file = std::make_shared<std::string>();
  auto* s = cmd->add_subcommand("serve", "Run the certification facility's gateway in the foreground");
  s->add_option("-c,--config", *serve_file, "The facility's config file")->required();
  s->callback([&action, serve_file] { action = [serve_file] { return serve(*serve_file); }; });
  add_certify_setup(cmd, action);
  auto json = std::make_shared<bool>(false);
  auto* cases = cmd->add_subcommand("cases", "List the battery's cases");
  cases->add_flag("--json", *json, "As JSON, with each profile's requirement");
  cases->callback([&action, json] { action = [json] { return print_cases(*json); }; });
  auto* prof = cmd->add_subcommand("profiles", "List the requirements profiles");
  prof->callback([&action] { action = [] { return print_profiles(); }; });
}

}  // namespace sm::app
