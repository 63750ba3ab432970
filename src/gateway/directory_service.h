// directory_service.h - a gateway's member directory at run time: the
// replica (DATA/directory.sqlite, the last good signed feed) kept up to
// date from [directory] feed by a thread of its own, on start and every
// [directory] refresh (and at once on refresh_now(), for SIGHUP).
//
// Every fetch ends in one result, counted in
// securemail_directory_fetch_total{result}: "ok" (a newer feed applied),
// "unchanged", a rejection ("rollback", "bad-signature", "wrong-authority",
// "stale", ...), or "unreachable". A rejection or an unreachable authority
// keeps the copy held and logs a warning each time; a copy older than
// max_age (or an authority offering only a stale feed) sets
// securemail_directory_stale to 1 and shows in /healthz.
//
// Each applied feed also brings the authority's CRL (in the SignedData's
// crls set): when it is the authority's, current and newer than
// DATA/pki/crl.pem it is installed there (directory/feed_crl.h) and the
// on_crl_installed observers are called, so the gateway reloads its trust
// store; without this the CRL would expire 30 days after `securemail init`
// and every sealed message would be deferred as revocation-unknown.
//
// This thread never touches the mail event loop: lookups read the current
// snapshot without locking, and observers (webhooks, the admin notice, the
// CRL reload) are called on this thread and must only queue their work.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "directory/replica.h"
#include "gateway/directory_changes.h"
#include "pki/trust.h"

namespace sm::gateway {

// The replica together with what it verifies against (which must outlive it).
struct LocalDirectory {
  ossl::X509Ptr authority;                 // the only certificate allowed to sign the feed
  // Member certificates must chain to it (checked on first use,
  // directory/member_certificate.h): [directory] authority with
  // trust_crl_file's CRLs, no CRL required.
  std::shared_ptr<const pki::TrustStore> trust;
  std::filesystem::path anchors_file, trust_crl_file;
  std::unique_ptr<directory::Replica> replica;
  // Where a CRL the feed carries is installed: DATA/pki/crl.pem when the
  // feed's authority is one of the gateway's trust anchors
  // (DATA/pki/authority.pem); empty otherwise (never a foreign CRL).
  std::filesystem::path crl_file;
};
// Opens DATA/directory.sqlite, verifying with [directory] authority (and
// DATA/pki/crl.pem when present). Fails when the authority cannot be read.
Result<LocalDirectory> open_local_directory(const config::Config& config);

// After a feed was applied: install the CRL it carries into
// local.crl_file when it is the authority's, current and newer than the
// one held; report.crl_installed says what was installed. Failures and
// refused CRLs are logged as warnings and errors.
void install_crl_from_feed(const LocalDirectory& local, directory::ApplyReport& report);

// The signed feed's bytes from [directory] feed: a file, or an HTTP(S) GET
// (HTTPS trusts the system store and the authority's certificates).
Result<std::string> fetch_feed(const config::Config::Directory& settings, const pki::TrustStore& trust);

// `securemail directory fetch`: fetch once and apply to the replica in
// data_dir. A refused feed is an error whose text starts with the reason
// ("rollback: ..."); an unreachable one starts with "unreachable: ".
// A running gateway notices the applied feed as "unchanged" (no notices).
// The feed's CRL is installed as by the running gateway (report's
// crl_installed); a running gateway picks it up on its next restart.
Result<directory::ApplyReport> fetch_once(const config::Config& config);

class DirectoryService {
 public:
  using Observer = std::function<void(const DirectoryChanges&)>;

  static Result<std::unique_ptr<DirectoryService>> open(const config::Config& config);
  ~DirectoryService();

  // Called on the directory thread for every applied feed with changes.
  // Register before start().
  void on_changes(Observer observer);
  // Called on the directory thread after a CRL from the feed was written
  // to DATA/pki/crl.pem (after the change observers). Register before start().
  void on_crl_installed(std::function<void()> observer);
  void start();
  void refresh_now();  // wake the thread for a fetch now
  void stop();         // joins the thread; waits for a fetch in progress

  std::shared_ptr<const directory::Directory> current() const { return local_.replica->current(); }
  // What member certificates are checked against on first use (see
  // LocalDirectory::trust); a new store once a CRL from the feed is
  // installed, so revocations take effect at once. Any thread.
  std::shared_ptr<const pki::TrustStore> member_trust() const;
  bool stale() const;
  std::string health() const;  // one line for /healthz

 private:
  DirectoryService(const config::Config::Directory& settings, LocalDirectory local);
  void run();
  // One attempt; the result label. Sets changes when a feed changed
  // members, crl_installed when it brought a newer CRL.
  std::string fetch_and_apply(std::optional<DirectoryChanges>& changes, bool& crl_installed);
  void notify(const DirectoryChanges& changes);
  void notify_crl_installed();
  void update_gauges();
  void reload_trust();

  config::Config::Directory settings_;
  LocalDirectory local_;  // local_.trust guarded by trust_mu_
  mutable std::mutex trust_mu_;
  std::vector<Observer> observers_;
  std::vector<std::function<void()>> crl_observers_;
  std::atomic<bool> offered_stale_{false};  // the last fetch was refused as stale

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false, wake_ = false;
  std::thread thread_;
};

}  // namespace sm::gateway
