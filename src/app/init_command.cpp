// init_command.cpp - `securemail init`: one command from nothing to a
// gateway that can seal and open mail for its domains.
//
//   DATA/            0700
//   DATA/pki/        keys (generated here, never leave the folder), the
//                    authority certificate and CRL (pki::Keyring layout)
//   DATA/config.toml domain, domains, hostname, data_dir = "."
//
// Refuses a folder that already holds keys or a config: init never
// replaces a gateway's identity (use `keys rotate` for that).
#include "app/init_command.h"

#include <unistd.h>

#include <iostream>

#include "app/cli_support.h"
#include "config/config.h"
#include "pki/certificate.h"
#include "pki/keyring.h"
#include "util/text.h"

namespace sm::app {
namespace {

namespace fs = std::filesystem;

std::string machine_hostname(const std::string& fallback) {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) == 0 && config::is_hostname(buf) && std::string_view(buf).find('.') != std::string_view::npos)
    return ascii_lower(buf);
  return fallback;
}

std::string config_text(const std::vector<std::string>& domains, const std::string& hostname) {
  std::string t = "# SecureMail gateway for " + domains[0] + " (written by `securemail init`).\n"
                  "# Every other key has a documented default: see docs/configuration.md.\n"
                  "domain = \"" + domains[0] + "\"\n";
  if (domains.size() > 1) {
    t += "domains = [";
    for (std::size_t i = 1; i < domains.size(); ++i) t += (i > 1 ? ", " : "") + std::string("\"") + domains[i] + "\"";
    t += "]\n";
  }
  t += "hostname = \"" + hostname + "\"\n"
       "# Keys, queue and state live next to this file (DATA/pki holds the keys).\n"
       "data_dir = \".\"\n";
  return t;
}

// Refuse a data folder that already holds a gateway.
Result<> check_fresh(const fs::path& data) {
  std::error_code ec;
  fs::path keys = pki::Keyring::dir(data) / "keys";
  if (fs::exists(keys, ec) && !fs::is_empty(keys, ec))
    return local_error(data.string() + " already has keys (" + keys.string() +
                       "); init never replaces them - use `securemail keys rotate`");
  if (fs::exists(data / "config.toml", ec))
    return local_error(data.string() + " already has a config.toml; init does not overwrite it");
  return {};
}

Result<> make_data_dir(const fs::path& data) {
  std::error_code ec;
  fs::create_directories(data, ec);
  if (ec) return local_error("cannot create " + data.string() + ": " + ec.message());
  fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return local_error("cannot set mode 0700 on " + data.string() + ": " + ec.message());
  return {};
}

}  // namespace

int run_init(InitArgs a) {
  const char* what = "init";
  for (auto& d : a.domains) {
    d = ascii_lower(d);
    if (!d.empty() && d.back() == '.') d.pop_back();
    if (!config::is_hostname(d)) return bad_usage(what, "--domain: bad domain \"" + d + "\"");
  }
  if (!a.hostname.empty() && !config::is_hostname(a.hostname))
    return bad_usage(what, "--hostname: bad host name \"" + a.hostname + "\"");
  std::string hostname = a.hostname.empty() ? machine_hostname("gw." + a.domains[0]) : ascii_lower(a.hostname);
  std::vector<pki::KeyType> types{key_type_or_default(a.key_type, pki::kDefaultGatewayKey)};
  for (const auto& t : a.also) {
    auto kt = pki::parse_key_type(t);
    if (kt && std::find(types.begin(), types.end(), *kt) == types.end()) types.push_back(*kt);
  }

  fs::path data = fs::absolute(a.data).lexically_normal();
  if (auto r = check_fresh(data); !r) return failed(what, r.error().text);
  auto auth = open_authority(a.authority, a.passphrase_file);
  if (!auth) return failed(what, auth.error().text);
  if (auto r = make_data_dir(data); !r) return failed(what, r.error().text);

  pki::GatewayCertRequest request;
  request.domains = a.domains;
  request.admin_email = a.admin;
  request.organisation = a.org;
  if (a.days > 0) request.days = a.days;
  std::vector<std::string> ids;
  for (auto type : types) {
    auto id = issue_and_install(*auth, data, type, request);
    if (!id) return failed(what, std::string(pki::to_string(type)) + " key: " + id.error().text);
    ids.push_back(*id);
  }
  if (auto r = install_authority_trust(*auth, data); !r) return failed(what, r.error().text);

  fs::path config_file = data / "config.toml";
  if (auto r = pki::write_file_atomic(config_file, config_text(a.domains, hostname), 0644, false); !r)
    return failed(what, r.error().text);
  if (auto cfg = config::load_file(config_file); !cfg)
    return failed(what, "the config written does not load (a bug): " + cfg.error());

  std::cerr << "securemail init: gateway for";
  for (const auto& d : a.domains) std::cerr << " " << d;
  std::cerr << " in " << data.string() << "\n";
  for (const auto& id : ids) std::cerr << "  key set   " << id << " (DATA/pki/keys/" << id << ")\n";
  std::cerr << "  trust     " << pki::Keyring::anchors_file(data).string() << " and crl.pem from " << a.authority << "\n"
            << "  config    " << config_file.string() << "\n"
            << "Start it with: securemail run --config " << config_file.string() << "\n";
  return 0;
}

void add_init_command(CLI::App& app, std::function<int()>& action) {
  auto a = std::make_shared<InitArgs>();
  auto* cmd = app.add_subcommand("init", "Create a gateway data folder: keys, certificates from the authority, trust, config.toml");
  cmd->add_option("--domain", a->domains, "A mail domain this gateway serves (repeat for more; the first is the primary)")->required();
  cmd->add_option("--authority", a->authority, "The authority folder that issues the certificates")
      ->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--data", a->data, "The data folder to create (mode 0700); config.toml is written inside")->required();
  cmd->add_option("--key-type", a->key_type, "The gateway key type (default ec-p256)")->check(key_type_validator());
  cmd->add_option("--also", a->also, "Another key type to hold side by side (e.g. rsa-3072 for peers without EC)")
      ->check(key_type_validator());
  cmd->add_option("--admin", a->admin, "Administrator address in the certificate (default securemailadmin@DOMAIN)");
  cmd->add_option("--org", a->org, "Organisation name in the certificate (O=)");
  cmd->add_option("--days", a->days, "Certificate validity in days (default 825)")->check(CLI::Range(1, 3650));
  cmd->add_option("--hostname", a->hostname, "The gateway's host name for config.toml (default: this machine's, else gw.DOMAIN)");
  cmd->add_option("--passphrase-file", a->passphrase_file,
                  "The authority key's passphrase, first line of this file (default: terminal prompt when encrypted)")
      ->check(CLI::ExistingFile);
  cmd->callback([&action, a] { action = [a] { return run_init(*a); }; });
}

}  // namespace sm::app
