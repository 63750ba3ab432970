// gateway_files.h - the files a gateway reads when it starts, and the
// checks a start makes on them without binding a port: `securemail run`
// refuses keys open to group/others, `securemail config check` and
// `securemail doctor` report every problem found here.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"

namespace sm::app {

// Every private key file the gateway reads from its data folder: the key
// sets in DATA/pki/keys, the development TLS key, and [tls] key when it is
// kept in the data folder. (A [tls] key elsewhere follows that system's
// own convention, e.g. 0640 root:ssl-cert, and is left to it.)
std::vector<std::filesystem::path> private_key_files(const config::Config& config);

// One problem a start would meet: the config key it comes from and what is wrong.
struct StartProblem {
  std::string key;      // "tls.key", "data_dir", "directory.authority", ...
  std::string message;  // names the file and how to fix it
};

// What a start checks before binding: the [tls] pair readable (a key not
// open to group/others), private keys in the data folder mode 0600/0400,
// data_dir a folder we can write or create, the files the config names
// (directory authority and file feed, journal certificate) present.
std::vector<StartProblem> check_start_files(const config::Config& config);

}  // namespace sm::app
