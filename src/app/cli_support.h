// cli_support.h - small pieces the key and S/MIME subcommands share:
// which data folder a command works on (--config FILE or --data DIR),
// opening the authority with its passphrase, reading a message from a file
// or stdin, writing output atomically, and the stderr/exit-code habit
// (0 done, 1 the operation failed, 2 bad usage or bad config).
//
// Must never take a passphrase from argv or the environment: the only
// sources are --passphrase-file and the terminal (pki::read_passphrase).
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "pki/authority.h"
#include "pki/key.h"
#include "pki/openssl.h"

namespace sm::app {

// Print "securemail WHAT: TEXT" on stderr and return 1 (failed) or 2 (usage).
int failed(std::string_view what, std::string_view text);
int bad_usage(std::string_view what, std::string_view text);
// Nothing could be done (certify, certify setup): the same one line, exit 2.
int cannot_run(std::string_view what, std::string_view text);

// --config FILE | --data DIR, either one.
struct DataDirArgs {
  std::string config_file;
  std::string data_dir;
  bool given() const { return !config_file.empty() || !data_dir.empty(); }
};
void add_data_dir_options(CLI::App* cmd, DataDirArgs& args);
// The data folder (absolute). With --config the config file is loaded and
// its data_dir used. nullopt after printing why; *exit_code is then 2.
std::optional<std::filesystem::path> resolve_data_dir(const DataDirArgs& args, std::string_view what,
                                                      int* exit_code);

// The whole config: --config FILE loaded, or for --data DIR every key at its
// default with data_dir = DIR. nullopt after printing why; *exit_code is then 2.
std::optional<config::Config> resolve_config(const DataDirArgs& args, std::string_view what, int* exit_code);

// A validator for key type options ("ec-p256", "rsa-3072", ...).
CLI::Validator key_type_validator();
pki::KeyType key_type_or_default(const std::string& text, pki::KeyType fallback);

// Open AUTH with its private key: asks for the passphrase (file or
// terminal) only when ca.key is encrypted.
Result<pki::Authority> open_authority(const std::filesystem::path& dir, const std::string& passphrase_file);

// Generate a key of `type`, have the authority certify it with what
// `request` says (its public_key is filled in here), and install it in
// DATA/pki as the active set of that type. Returns the new key set ID.
Result<std::string> issue_and_install(pki::Authority& authority, const std::filesystem::path& data_dir,
                                      pki::KeyType type, pki::GatewayCertRequest request);
// Give the gateway the authority's certificate and its current CRL
// (publishing one first when AUTH has none or it is past nextUpdate).
Result<> install_authority_trust(pki::Authority& authority, const std::filesystem::path& data_dir);

// The whole input: a file, or stdin when `file` is empty or "-".
Result<std::string> read_input(const std::string& file);

// Output to a file (written under a temporary name, renamed on commit(),
// removed otherwise) or to stdout when `file` is empty or "-".
class Output {
 public:
  Output() = default;
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output();
  Result<> open(const std::string& file);
  BIO* bio() const { return bio_.get(); }
  Result<> commit();  // flush; rename into place

 private:
  ossl::BioPtr bio_;
  std::filesystem::path final_, temp_;
  bool committed_ = false;
};

// Write a text to FILE (0644, atomic) or to stdout when empty or "-".
Result<> write_text(const std::string& file, std::string_view text);

// "2026-12-01", optionally followed by "T08:00" or "T08:00:00" and "Z":
// unix seconds (UTC). nullopt when any field is out of range.
std::optional<std::int64_t> parse_iso_time(std::string_view text);

// An operator's change recorded in DATA's audit trail (actor "operator",
// now); details: a JSON object. The error when the trail cannot be written
// (the change itself stands; the caller says so).
Result<> audit_operator(const std::filesystem::path& data_dir, std::string_view action, std::string_view object,
                        const std::string& details);

}  // namespace sm::app
