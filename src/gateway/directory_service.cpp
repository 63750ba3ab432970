// directory_service.cpp - fetch, verify and apply the directory feed on a
// thread of its own; metrics, warnings and change notices.
#include "gateway/directory_service.h"

#include <ctime>
#include <fstream>
#include <sstream>

#include "directory/feed_crl.h"
#include "gateway/http_client.h"
#include "pki/certificate.h"
#include "pki/keyring.h"
#include "util/log.h"
#include "util/metrics.h"

namespace fs = std::filesystem;

namespace sm::gateway {
namespace {

metrics::Counter serial_gauge("securemail_directory_serial", "Serial of the directory feed in use (0: none)", true);
metrics::Counter members_gauge("securemail_directory_members", "Members in the directory feed in use", true);
metrics::Counter last_success_gauge("securemail_directory_last_success_timestamp_seconds",
                                    "Unix time of the last fetch that gave a good feed (new or unchanged)", true);
metrics::Counter stale_gauge("securemail_directory_stale",
                             "1 when the directory in use is older than [directory] max_age, or only a stale feed is offered",
                             true);
metrics::LabeledCounter fetch_total("securemail_directory_fetch_total",
                                    "Directory feed fetches by result (ok, unchanged, a rejection, too-large, unreachable)",
                                    "result", {"ok", "unchanged", "too-large", "unreachable"});

// A feed over [directory] max_feed_size: refused as "too large", naming the
// key, never reported as an unreachable authority.
Error too_large(const std::string& what, std::size_t limit) {
  return Error{452, "5.3.4", "too large: " + what + " is larger than " + std::to_string(limit) +
                                 " bytes; raise [directory] max_feed_size if the feed is really this big"};
}

// "too-large" or "unreachable": what a failed fetch is counted and logged as.
std::string fetch_failure(const Error& e) { return e.enhanced == "5.3.4" ? "too-large" : "unreachable"; }

Result<std::string> read_feed_file(const fs::path& file, std::size_t limit) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return local_error(file.string() + ": " + ec.message());
  if (size > limit) return std::unexpected(too_large(file.string(), limit));
  std::ifstream in(file, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  if (!in) return local_error(file.string() + ": cannot read");
  return buf.str();
}

// The feed's authority is one of the gateway's own trust anchors, so its
// CRL is the one the gateway checks signers against.
bool is_keyring_anchor(const fs::path& data_dir, const X509* authority) {
  auto anchors = pki::read_certificates(pki::Keyring::anchors_file(data_dir));
  if (!anchors) return false;
  for (const auto& anchor : *anchors)
    if (X509_cmp(anchor.get(), authority) == 0) return true;
  return false;
}

}  // namespace

void install_crl_from_feed(const LocalDirectory& local, directory::ApplyReport& report) {
  if (report.crls.empty()) return;
  if (local.crl_file.empty()) {
    log::warn("directory: the feed carries a CRL but its authority is not in the gateway's trust anchors; not installed");
    return;
  }
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  auto installed = directory::install_feed_crl(report.crls, local.authority.get(), local.crl_file, now);
  if (!installed)
    log::error("directory: cannot install the CRL of serial {}: {}", report.serial, installed.error().text);
  else
    report.crl_installed = *installed;
}

Result<LocalDirectory> open_local_directory(const config::Config& config) {
  const fs::path& anchors = config.directory.authority;
  // The gateway's CRL belongs to the authority `securemail init` installed;
  // a different authority file gets no CRL rather than a foreign one.
  fs::path crl = anchors == pki::Keyring::anchors_file(config.data_dir) ? pki::Keyring::crl_file(config.data_dir) : fs::path();
  auto trust = pki::TrustStore::load(anchors, crl, pki::TrustOptions{.require_crl = false});
  if (!trust) return local_error("directory.authority: " + trust.error().text);
  if (trust->anchors().empty()) return local_error("directory.authority: " + anchors.string() + ": no certificate");
  LocalDirectory local;
  local.trust = std::make_shared<const pki::TrustStore>(std::move(*trust));
  local.anchors_file = anchors;
  local.trust_crl_file = crl;
  local.authority = pki::clone(local.trust->anchors().front().get());
  if (is_keyring_anchor(config.data_dir, local.authority.get())) local.crl_file = pki::Keyring::crl_file(config.data_dir);
  directory::VerifyOptions options;
  options.authority = local.authority.get();
  options.max_age = config.directory.max_age;
  auto replica = directory::Replica::open(config.data_dir, options);
  if (!replica) return std::unexpected(replica.error());
  local.replica = std::move(*replica);
  return local;
}

Result<std::string> fetch_feed(const config::Config::Directory& settings, const pki::TrustStore& trust) {
  const auto& source = settings.feed;
  switch (source.kind) {
    case config::FeedSource::Kind::none: return local_error("no [directory] feed configured");
    case config::FeedSource::Kind::file: return read_feed_file(source.file, settings.max_feed_size);
    default: break;
  }
  HttpClientOptions options;
  options.max_body = settings.max_feed_size;
  options.extra_anchors = &trust.anchors();
  auto reply = http_get(source, {{"Accept", "application/pkcs7-mime, application/octet-stream"}}, options);
  if (!reply && reply.error().enhanced == "5.3.4") return std::unexpected(too_large(source.str(), settings.max_feed_size));
  if (!reply) return std::unexpected(reply.error());
  if (reply->status != 200) return fail(451, "4.4.1", source.str() + ": HTTP " + std::to_string(reply->status));
  return std::move(reply->body);
}

Result<directory::ApplyReport> fetch_once(const config::Config& config) {
  auto local = open_local_directory(config);
  if (!local) return std::unexpected(local.error());
  auto bytes = fetch_feed(config.directory, *local->trust);
  if (!bytes) {
    if (fetch_failure(bytes.error()) == "too-large") return std::unexpected(bytes.error());
    return fail(451, "4.4.1", "unreachable: " + bytes.error().text);
  }
  auto report = local->replica->apply(*bytes);
  if (!report) return local_error(report.error().text());
  install_crl_from_feed(*local, *report);
  return std::move(*report);
}

// ---- DirectoryService ------------------------------------------------------

DirectoryService::DirectoryService(const config::Config::Directory& settings, LocalDirectory local)
    : settings_(settings), local_(std::move(local)) {}

Result<std::unique_ptr<DirectoryService>> DirectoryService::open(const config::Config& config) {
  auto local = open_local_directory(config);
  if (!local) return std::unexpected(local.error());
  std::unique_ptr<DirectoryService> service(new DirectoryService(config.directory, std::move(*local)));
  auto dir = service->current();
  log::info("directory: feed {}, holding serial {} ({} members) from {}", config.directory.feed.str(), dir->serial(),
            dir->feed().members.size(), directory::Replica::database_file(config.data_dir).string());
  service->update_gauges();
  return service;
}

DirectoryService::~DirectoryService() { stop(); }

void DirectoryService::on_changes(Observer observer) { observers_.push_back(std::move(observer)); }

void DirectoryService::on_crl_installed(std::function<void()> observer) {
  crl_observers_.push_back(std::move(observer));
}

void DirectoryService::start() {
  thread_ = std::thread([this] { run(); });
}

void DirectoryService::refresh_now() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

void DirectoryService::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const pki::TrustStore> DirectoryService::member_trust() const {
  std::lock_guard lock(trust_mu_);
  return local_.trust;
}

void DirectoryService::reload_trust() {
  auto trust = pki::TrustStore::load(local_.anchors_file, local_.trust_crl_file, pki::TrustOptions{.require_crl = false});
  if (!trust) {
    log::error("directory: cannot reload the authority and CRL for member certificates: {}", trust.error().text);
    return;
  }
  std::lock_guard lock(trust_mu_);
  local_.trust = std::make_shared<const pki::TrustStore>(std::move(*trust));
}

bool DirectoryService::stale() const { return local_.replica->stale() || offered_stale_; }

std::string DirectoryService::health() const {
  auto dir = current();
  if (dir->serial() == 0) return "directory: no feed yet";
  std::string held = "serial " + std::to_string(dir->serial()) + ", " + std::to_string(dir->feed().members.size()) +
                     " members, issued " + pki::iso_time(dir->feed().issued);
  if (stale()) return "directory STALE (" + held + "; max_age " + config::format_duration(settings_.max_age) + ")";
  return "directory " + held;
}

void DirectoryService::run() {
  for (;;) {
    std::string result;
    std::optional<DirectoryChanges> changes;
    bool crl_installed = false;
    try {
      result = fetch_and_apply(changes, crl_installed);
    } catch (const std::exception& e) {  // nothing may end the thread (bad_alloc on a huge feed, ...)
      log::error("directory: fetch failed: {}", e.what());
      result = "error";
    }
    // Metrics first, so whoever gets a notice finds them up to date.
    fetch_total.add(result);
    update_gauges();
    if (stale())
      log::warn("{} - feed {}; lookups answer from {}", health(), settings_.feed.str(),
                current()->serial() ? "this copy" : "an empty directory");
    if (changes) notify(*changes);
    if (crl_installed) notify_crl_installed();
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, settings_.refresh, [this] { return stopping_ || wake_; });
    if (stopping_) return;
    wake_ = false;
  }
}

std::string DirectoryService::fetch_and_apply(std::optional<DirectoryChanges>& changes, bool& crl_installed) {
  auto before = current();
  auto bytes = fetch_feed(settings_, *member_trust());
  if (!bytes) {
    log::warn("directory: cannot fetch the feed: {}; keeping serial {}", bytes.error().text, before->serial());
    return fetch_failure(bytes.error());
  }
  auto report = local_.replica->apply(*bytes);
  if (!report) {
    offered_stale_ = report.error().reason == directory::Rejection::stale;
    log::warn("directory: feed from {} refused: {}; keeping serial {}", settings_.feed.str(), report.error().text(),
              before->serial());
    return std::string(directory::to_string(report.error().reason));
  }
  offered_stale_ = false;
  if (!report->store_error.empty())
    log::error("directory: serial {} is in use but not stored ({}); a restart comes back with the older copy",
               report->serial, report->store_error);
  if (!report->changed) return "unchanged";
  auto after = current();
  log::info("directory: applied serial {} ({} members, {} changes; was serial {})", after->serial(),
            after->feed().members.size(), report->changes.size(), before->serial());
  install_crl_from_feed(local_, *report);
  if (report->crl_installed) {
    log::info("directory: installed {} from the feed", report->crl_installed->text());
    reload_trust();
    crl_installed = true;
  }
  if (!report->changes.empty())
    changes = DirectoryChanges{after->serial(), before->serial(), after->feed().issued, report->changes, before, after};
  return "ok";
}

void DirectoryService::notify(const DirectoryChanges& changes) {
  for (const auto& observer : observers_) {
    try {
      observer(changes);
    } catch (const std::exception& e) {
      log::error("directory: reporting the changes of serial {} failed: {}", changes.serial, e.what());
    }
  }
}

void DirectoryService::notify_crl_installed() {
  for (const auto& observer : crl_observers_) {
    try {
      observer();
    } catch (const std::exception& e) {
      log::error("directory: reporting the installed CRL failed: {}", e.what());
    }
  }
}

void DirectoryService::update_gauges() {
  auto dir = current();
  serial_gauge.set(static_cast<std::int64_t>(dir->serial()));
  members_gauge.set(static_cast<std::int64_t>(dir->feed().members.size()));
  last_success_gauge.set(local_.replica->last_success());
  stale_gauge.set(stale() ? 1 : 0);
}

}  // namespace sm::gateway
