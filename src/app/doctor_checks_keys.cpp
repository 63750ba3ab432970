// doctor_checks_keys.cpp - doctor checks on local files: what a start
// checks (gateway_files.h), the [tls] pair (readable, mode 0600, key
// matching the certificate, days to expiry), the gateway's key sets
// (chain to the trust anchor, days to expiry) and data_dir's disk space.
#include <sys/statvfs.h>

#include <ctime>

#include "app/doctor_checks.h"
#include "admin/alerts.h"
#include "app/gateway_files.h"
#include "pki/certificate.h"
#include "pki/key.h"
#include "pki/keyring.h"
#include "pki/trust.h"

namespace sm::app {
namespace fs = std::filesystem;
using Status = DoctorCheck::Status;

std::string_view to_string(DoctorCheck::Status status) {
  switch (status) {
    case Status::ok: return "OK";
    case Status::warn: return "WARN";
    default: return "FAIL";
  }
}

DoctorCheck expiry_check(std::string name, std::string what, std::int64_t not_after, std::int64_t now) {
  std::int64_t days = (not_after - now) / 86400;
  std::string until = " (until " + pki::iso_time(not_after) + ")";
  if (not_after <= now)
    return {std::move(name), Status::fail, what + " expired " + pki::iso_time(not_after), "issue a new certificate"};
  if (days < 30)
    return {std::move(name), Status::warn, what + " expires in " + std::to_string(days) + " days" + until,
            "renew it before it expires"};
  return {std::move(name), Status::ok, what + " valid for " + std::to_string(days) + " more days" + until, ""};
}

DoctorCheck disk_check(const std::string& name, std::uint64_t total, std::uint64_t available, int warn_percent) {
  if (total == 0) return {name, Status::warn, "file system reports no size", "check the mount"};
  auto used = static_cast<int>(100 - (available * 100) / total);
  std::string detail = std::to_string(used) + "% used, " + std::to_string(available >> 20) + " MiB free";
  if (used > admin::kSpoolDiskCriticalPercent) return {name, Status::fail, detail, "free space: the queue refuses mail when the disk is full"};
  if (used > warn_percent) return {name, Status::warn, detail, "free space or grow the file system"};
  return {name, Status::ok, detail, ""};
}

void check_files(const config::Config& config, DoctorReport& report) {
  auto problems = check_start_files(config);
  for (auto& p : problems) report.push_back({p.key, Status::fail, p.message, "fix " + p.key + " or the file it names"});
  if (problems.empty()) report.push_back({"files", Status::ok, "data_dir and the files the config names are usable", ""});
}

void check_tls(const config::Config& config, DoctorReport& report) {
  fs::path cert_file = config.tls.development() ? config::Config::Tls::dev_cert(config.data_dir) : config.tls.cert;
  fs::path key_file = config.tls.development() ? config::Config::Tls::dev_key(config.data_dir) : config.tls.key;
  std::error_code ec;
  if (config.tls.development() && !fs::exists(cert_file, ec)) {
    report.push_back({"tls", Status::ok, "development pair, made on first start in " + cert_file.parent_path().string(), ""});
    return;
  }
  auto cert = pki::read_certificate(cert_file);
  if (!cert) {
    report.push_back({"tls.cert", Status::fail, cert.error().text, "point tls.cert at a readable PEM certificate"});
    return;
  }
  auto key = pki::read_private_key(key_file);  // checks the mode first
  if (!key) {
    report.push_back({"tls.key", Status::fail, key.error().text, "chmod 600 " + key_file.string() + " (owned by the gateway's user)"});
  } else if (X509_check_private_key(cert->get(), key->get()) != 1) {
    report.push_back({"tls.key", Status::fail, key_file.string() + " does not match " + cert_file.string(),
                      "install the key that belongs to the certificate"});
  } else {
    report.push_back({"tls.key", Status::ok, key_file.string() + " readable, mode 0600, matches the certificate", ""});
  }
  report.push_back(expiry_check("tls.cert", cert_file.string(), pki::describe(cert->get()).not_after, std::time(nullptr)));
}

void check_key_sets(const config::Config& config, DoctorReport& report) {
  auto ring = pki::Keyring::load(config.data_dir);
  if (!ring) {
    report.push_back({"keys", Status::fail, ring.error().text,
                      "chmod 600 the key file if others may read it; if it is gone, restore a backup with "
                      "`securemail keys restore` or install a new key set"});
    return;
  }
  if (ring->signing() == nullptr) {
    report.push_back({"keys", Status::fail, "no active key set in " + pki::Keyring::dir(config.data_dir).string(),
                      "create one with `securemail init`, or restore a backup with `securemail keys restore`"});
    return;
  }
  auto trust = pki::TrustStore::load(pki::Keyring::anchors_file(config.data_dir), pki::Keyring::crl_file(config.data_dir),
                                     pki::TrustOptions{.require_crl = false});
  std::int64_t now = std::time(nullptr);
  for (const auto& set : ring->sets()) {
    if (!set.active()) continue;
    std::string name = "keys " + set.id;
    report.push_back(expiry_check(name, "certificate", pki::describe(set.cert.get()).not_after, now));
    if (!trust) {
      report.push_back({name, Status::fail, "trust anchor: " + trust.error().text,
                        "install the authority certificate as " + pki::Keyring::anchors_file(config.data_dir).string()});
      continue;
    }
    ossl::X509StackPtr chain(sk_X509_new_null());
    for (const auto& c : set.chain) sk_X509_push(chain.get(), pki::clone(c.get()).release());
    auto result = pki::verify_chain(*trust, set.cert.get(), chain.get(), pki::Purpose::smime_sign);
    if (result.ok())
      report.push_back({name, Status::ok, "chain valid to the trust anchor", ""});
    else
      report.push_back({name, Status::fail, "chain: " + std::string(pki::to_string(result.status)) + ": " + result.detail,
                        "have the authority issue a new certificate"});
  }
}

void check_disk(const config::Config& config, DoctorReport& report) {
  fs::path dir = config.data_dir;
  std::error_code ec;
  while (!fs::exists(dir, ec) && dir != dir.parent_path()) dir = dir.parent_path();
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) {
    report.push_back({"disk", Status::warn, "cannot measure " + dir.string(), "check the folder"});
    return;
  }
  auto check = disk_check("disk", std::uint64_t{st.f_blocks} * st.f_frsize, std::uint64_t{st.f_bavail} * st.f_frsize,
                          config.alerts.spool_disk_percent);
  check.detail = config.data_dir.string() + ": " + check.detail;
  report.push_back(std::move(check));
}

}  // namespace sm::app
