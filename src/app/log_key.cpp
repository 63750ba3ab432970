// log_key.cpp - the hashed-address key file and [log] -> log::Privacy.
#include "app/log_key.h"

#include <openssl/rand.h>

#include "pki/key.h"
#include "util/log_syslog.h"

namespace sm::app {
namespace fs = std::filesystem;

fs::path log_key_file(const fs::path& data_dir) { return data_dir / "log.key"; }

Result<std::string> log_key(const fs::path& data_dir, bool create) {
  fs::path file = log_key_file(data_dir);
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    if (!create)
      return fail(550, "5.3.0", "no log key " + file.string() +
                                    " yet: the gateway makes it at its first start with [log] addresses = \"hashed\"");
    std::string key(log::kKeySize, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1)
      return local_error("cannot make the log key: no random octets");
    if (auto w = pki::write_file_atomic(file, key, 0600, false); !w) return std::unexpected(w.error());
    return key;
  }
  if (auto mode = pki::check_private_key_mode(file); !mode) return std::unexpected(mode.error());
  auto key = pki::read_file(file, 4096);
  if (!key) return key;
  if (key->size() != log::kKeySize)
    return local_error("log key " + file.string() + " holds " + std::to_string(key->size()) + " octets, not " +
                       std::to_string(log::kKeySize));
  return key;
}

Result<log::Privacy> log_privacy(const config::Config& config) {
  log::Privacy p;
  p.subjects = config.log.subjects;
  p.file = config.log.file;
  p.retention = config.log.retention;
  p.syslog = config.log.syslog;
  p.syslog_facility = log::syslog_facility(config.log.syslog_facility).value_or(2);  // checked at load
  if (config.log.addresses == config::LogPrivacy::Addresses::hashed) {
    auto key = log_key(config.data_dir, true);
    if (!key) return std::unexpected(key.error());
    p.hash_addresses = true;
    p.key = std::move(*key);
  }
  return p;
}

}  // namespace sm::app
