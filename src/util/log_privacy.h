// log_privacy.h - what the operational log may say about people: keyed
// hashes in place of mail addresses, and the Subject only when the
// operator asked for it ([log] addresses / subjects, docs/privacy.md).
//
// hide_addresses() is applied by the logger's sink (log.cpp) to every
// formatted line, so no log call can forget it. A hashed address keeps
// its domain and can still be followed through the log: the same address
// always gives the same hash under one key (`securemail log hash ADDRESS`).
//
// setup(level, privacy) is log.h's setup() with these settings; a Subject
// reaches a log line only through subject_field().
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "util/error.h"

namespace sm::log {

// The privacy settings of the process log (app/ translates [log] into
// this: util sits below config).
struct Privacy {
  bool hash_addresses = false;
  std::string key;                   // hash_addresses: the HMAC key's octets (DATA/log.key)
  bool subjects = false;             // subject_field() returns the Subject only then
  std::filesystem::path file;        // also write a daily file here; "" : stderr only
  std::chrono::seconds retention{30 * 86400};  // daily files older than this are deleted
  std::string syslog;                // also to this local syslog socket ("/dev/log"); "" : not
  int syslog_facility = 2;           // mail (log_syslog.h)
};

// The octets of a log key (HMAC-SHA256 key).
inline constexpr std::size_t kKeySize = 32;

// Configure the process logger (log.h) with these settings: stderr, and
// with privacy.file also that daily file (log_file.h); every line through
// hide_addresses() when hash_addresses. An error (and the logger
// unchanged) when the key is not kKeySize octets or the file cannot be
// opened.
Result<> setup(std::string_view level, const Privacy& privacy);

// ", subject=\"...\"" (control characters, '"' and '\\' as \xNN) when
// [log] subjects = true, else "": the only way a Subject may reach a log
// line, e.g. log::info("{}: held by rule {}{}", id, rule, log::subject_field(subject)).
std::string subject_field(std::string_view subject);

// "h:" and the first 12 hex digits of HMAC-SHA256(key, address), the
// address ASCII lower-cased first (Alice@X and alice@x are one person).
std::string address_hash(std::string_view key, std::string_view address);

// line with the local part of every address ("local@domain",
// "<local@domain>", "from=<...>", a quoted "\"a b\"@domain") replaced by
// its address_hash(): "<h:3f2a9c01b7de@domain>". The domain stays.
std::string hide_addresses(std::string_view key, std::string_view line);

}  // namespace sm::log
