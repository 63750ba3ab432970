// cli_support.cpp - see cli_support.h.
#include "app/cli_support.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <iterator>

#include "app/load_config.h"
#include "audit/audit.h"
#include "pki/certificate.h"
#include "pki/keyring.h"
#include "pki/passphrase.h"

namespace sm::app {

namespace fs = std::filesystem;

int failed(std::string_view what, std::string_view text) {
  std::cerr << "securemail " << what << ": " << text << "\n";
  return 1;
}

int cannot_run(std::string_view what, std::string_view text) {
  std::cerr << "securemail " << what << ": " << text << "\n";
  return 2;
}

int bad_usage(std::string_view what, std::string_view text) {
  std::cerr << "securemail " << what << ": " << text << "\nRun with --help for more information.\n";
  return 2;
}

void add_data_dir_options(CLI::App* cmd, DataDirArgs& args) {
  auto* c = cmd->add_option("-c,--config", args.config_file,
                            "The gateway's config file; its data_dir holds the keys (DATA/pki)");
  auto* d = cmd->add_option("--data", args.data_dir, "The gateway's data folder (instead of --config)");
  c->excludes(d);
}

std::optional<fs::path> resolve_data_dir(const DataDirArgs& args, std::string_view what, int* exit_code) {
  *exit_code = 2;
  if (!args.config_file.empty()) {
    auto cfg = load_config(args.config_file);
    if (!cfg) return std::nullopt;
    return cfg->data_dir;
  }
  if (!args.data_dir.empty()) {
    std::error_code ec;
    fs::path p = fs::absolute(args.data_dir, ec);
    if (ec) {
      bad_usage(what, "--data: " + ec.message());
      return std::nullopt;
    }
    return p.lexically_normal();
  }
  bad_usage(what, "one of --config FILE or --data DIR is required");
  return std::nullopt;
}

std::optional<config::Config> resolve_config(const DataDirArgs& args, std::string_view what, int* exit_code) {
  *exit_code = 2;
  if (!args.config_file.empty()) return load_config(args.config_file);
  auto data = resolve_data_dir(args, what, exit_code);
  if (!data) return std::nullopt;
  if (data->string().find_first_of("'\r\n") != std::string::npos) {
    bad_usage(what, "--data: a folder name with a quote or line break is not supported; use --config");
    return std::nullopt;
  }
  auto cfg = config::load_string("data_dir = '" + data->string() + "'\n", "--data " + data->string());
  if (!cfg) {
    bad_usage(what, "--data: " + cfg.error());
    return std::nullopt;
  }
  return std::move(*cfg);
}

CLI::Validator key_type_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (pki::parse_key_type(text)) return {};
        std::string all;
        for (auto t : pki::all_key_types()) all += (all.empty() ? "" : ", ") + std::string(pki::to_string(t));
        return "unknown key type \"" + text + "\" (one of " + all + ")";
      },
      "KEYTYPE");
}

pki::KeyType key_type_or_default(const std::string& text, pki::KeyType fallback) {
  if (text.empty()) return fallback;
  return pki::parse_key_type(text).value_or(fallback);
}

Result<pki::Authority> open_authority(const fs::path& dir, const std::string& passphrase_file) {
  std::error_code ec;
  if (!fs::exists(pki::Authority::certificate_file(dir), ec))
    return local_error(dir.string() + " is not an authority folder (no ca.pem; create one with `securemail pki authority init`)");
  auto encrypted = pki::private_key_is_encrypted(dir / "ca.key");
  if (!encrypted) return std::unexpected(encrypted.error());
  if (!*encrypted) return pki::Authority::open(dir, nullptr);
  auto pass = pki::read_passphrase(passphrase_file, "Passphrase for the authority key " + (dir / "ca.key").string() + ": ");
  if (!pass) return std::unexpected(pass.error());
  return pki::Authority::open(dir, &*pass);
}

Result<std::string> issue_and_install(pki::Authority& authority, const fs::path& data_dir, pki::KeyType type,
                                      pki::GatewayCertRequest request) {
  auto key = pki::generate_key(type);
  if (!key) return std::unexpected(key.error());
  request.public_key = key->get();
  auto cert = authority.issue(request);
  if (!cert) return std::unexpected(cert.error());
  return pki::Keyring::install(data_dir, key->get(), cert->get());
}

Result<> install_authority_trust(pki::Authority& authority, const fs::path& data_dir) {
  fs::path crl_file = pki::Authority::crl_file(authority.dir());
  std::string crl_pem;
  if (auto crl = pki::read_crl(crl_file)) {
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl->get());
    if (next && X509_cmp_current_time(next) > 0) crl_pem = pki::to_pem(crl->get());
  }
  if (crl_pem.empty()) {
    auto fresh = authority.publish_crl();
    if (!fresh) return std::unexpected(fresh.error());
    crl_pem = pki::to_pem(fresh->get());
  }
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(pki::clone(authority.certificate()));
  return pki::Keyring::install_trust(data_dir, anchors, crl_pem);
}

Result<std::string> read_input(const std::string& file) {
  if (file.empty() || file == "-") {
    std::string data{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    if (std::cin.bad()) return local_error("cannot read standard input");
    return data;
  }
  return pki::read_file(file, std::size_t{1} << 30);
}

Output::~Output() {
  if (!committed_ && !temp_.empty()) {
    bio_.reset();
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

Result<> Output::open(const std::string& file) {
  if (file.empty() || file == "-") {
    bio_.reset(BIO_new_fp(stdout, BIO_NOCLOSE));
    if (!bio_) return local_error("cannot write to standard output");
    return {};
  }
  final_ = fs::absolute(file);
  temp_ = final_;
  temp_ += ".tmp-" + std::to_string(::getpid());
  int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string why = std::strerror(errno);
    temp_.clear();
    return local_error("cannot create " + final_.string() + ": " + why);
  }
  bio_.reset(BIO_new_fd(fd, BIO_CLOSE));
  if (!bio_) {
    ::close(fd);
    return local_error("out of memory");
  }
  return {};
}

Result<> Output::commit() {
  if (!bio_) return local_error("no output open");
  if (BIO_flush(bio_.get()) != 1) return local_error("write failed: " + ossl::openssl_error());
  if (temp_.empty()) {
    std::fflush(stdout);
    committed_ = true;
    return {};
  }
  int fd = -1;
  BIO_get_fd(bio_.get(), &fd);
  if (fd >= 0 && ::fsync(fd) != 0) return local_error("cannot sync " + temp_.string() + ": " + std::strerror(errno));
  bio_.reset();
  std::error_code ec;
  fs::rename(temp_, final_, ec);
  if (ec) return local_error("cannot write " + final_.string() + ": " + ec.message());
  committed_ = true;
  return {};
}

Result<> write_text(const std::string& file, std::string_view text) {
  if (file.empty() || file == "-") {
    std::cout << text << std::flush;
    if (!std::cout) return local_error("cannot write to standard output");
    return {};
  }
  return pki::write_file_atomic(file, text, 0644, true);
}

// "2026-12-01", then optionally "T" or " " and "08:00" or "08:00:00", then
// optionally "Z". Every field checked by a round trip through timegm.
std::optional<std::int64_t> parse_iso_time(std::string_view text) {
  std::string s(text);
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s.pop_back();
  std::tm tm{};
  int used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &used) != 3 || used != 10)
    return std::nullopt;
  if (s.size() > 10) {
    if (s[10] != 'T' && s[10] != ' ') return std::nullopt;
    std::string clock = s.substr(11);
    int n = 0;
    if (std::sscanf(clock.c_str(), "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &n) != 2 || n != 5) return std::nullopt;
    if (clock.size() > 5 && (std::sscanf(clock.c_str() + 5, ":%2d%n", &tm.tm_sec, &n) != 1 || n != 3 || clock.size() != 8))
      return std::nullopt;
  }
  std::tm want = tm;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t t = timegm(&tm);
  std::tm back{};
  gmtime_r(&t, &back);
  if (back.tm_year + 1900 != want.tm_year || back.tm_mon + 1 != want.tm_mon || back.tm_mday != want.tm_mday ||
      back.tm_hour != want.tm_hour || back.tm_min != want.tm_min || back.tm_sec != want.tm_sec)
    return std::nullopt;
  return static_cast<std::int64_t>(t);
}

Result<> audit_operator(const fs::path& data_dir, std::string_view action, std::string_view object,
                        const std::string& details) {
  auto trail = audit::AuditTrail::open(data_dir);
  if (!trail) return std::unexpected(trail.error());
  auto entry = (*trail)->append("operator", action, object, "", details, static_cast<std::int64_t>(std::time(nullptr)));
  if (!entry) return std::unexpected(entry.error());
  return {};
}

}  // namespace sm::app
