// config_view.h - the running config as JSON for GET /v1/config: the
// structure of `securemail config show` (config::describe(), which loads
// back as TOML) turned into nested JSON objects, with every value whose
// key names a secret replaced by "[redacted]".
//
// The redaction list lives here and nowhere else: a key is secret when a
// word of its name (split at _ and -) is password, passwd, passphrase,
// secret, token, credential(s), psk or seed, or its last word is key
// (signing_key, hmac_key). Keys naming a file (last word file, path, dir
// or folder, and tls.key) are paths and stay: their contents are never
// read here.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "util/error.h"

namespace sm::admin {

inline constexpr std::string_view kRedacted = "[redacted]";

// True when the value of this dotted key ("webhooks.secret") is never served.
bool secret_key(std::string_view dotted_key);

struct ConfigView {
  nlohmann::json settings;            // nested objects, as the TOML tables
  std::vector<std::string> redacted;  // the dotted keys whose values were replaced
};

// The TOML text (as config::describe() writes it) as JSON, redacted; an
// error naming the line when it does not parse.
Result<ConfigView> config_view(std::string_view toml_text);
Result<ConfigView> config_view(const config::Config& config);

}  // namespace sm::admin
