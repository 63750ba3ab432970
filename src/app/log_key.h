// log_key.h - DATA/log.key: the 32-octet HMAC key behind hashed log
// addresses ([log] addresses = "hashed"), and the translation of [log]
// into the logger's settings (util/log_privacy.h).
//
// The key is made from the OpenSSL random source on first use, mode 0600,
// written atomically; a key file that group or others can read, or that
// is not 32 octets, is refused (the gateway does not start).
#pragma once

#include <filesystem>
#include <string>

#include "config/config.h"
#include "util/error.h"
#include "util/log_privacy.h"

namespace sm::app {

std::filesystem::path log_key_file(const std::filesystem::path& data_dir);

// The key's octets; create: make it when the file does not exist yet.
Result<std::string> log_key(const std::filesystem::path& data_dir, bool create);

// [log] as the logger's settings, reading (or making) the key when
// addresses are hashed.
Result<log::Privacy> log_privacy(const config::Config& config);

}  // namespace sm::app
