// detail.h - small helpers shared by the pki implementation files only
// (not part of the module's public interface): memory BIOs, time
// conversion, hex, name syntax checks, JSON files and key folders.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pki/openssl.h"
#include "util/error.h"

namespace sm::pki::detail {

ossl::BioPtr mem_bio();
ossl::BioPtr mem_bio(std::string_view data);  // read-only view of data
std::string bio_text(BIO* bio);               // everything written to a memory BIO

std::int64_t now_seconds();
std::optional<std::int64_t> asn1_time_unix(const ASN1_TIME* t);
std::string to_upper(std::string_view s);
std::string hex(const unsigned char* data, std::size_t size, bool upper = false);

// A DNS host name: LDH labels of 1..63, at most 253 octets, no leading or
// trailing hyphen in a label. An addr-spec: dot-atom local part "@" host name.
bool is_host_name(std::string_view name);
bool is_addr_spec(std::string_view address);

// "FILE: what: strerror(errno)".
std::string errno_text(const std::filesystem::path& file, std::string_view what, int err);

// fsync a folder so a rename or new entry in it is durable.
Result<> fsync_dir(const std::filesystem::path& dir);
// Create the folder (and parents) and set it to 0700.
Result<> make_private_dir(const std::filesystem::path& dir);

// JSON files: parse errors and type errors are returned, never thrown.
Result<nlohmann::json> read_json(const std::filesystem::path& file);
Result<> write_json(const std::filesystem::path& file, const nlohmann::json& value);
// doc[key] as T; an error naming the file when doc is not an object or the
// field is missing or of another type.
template <class T>
Result<T> json_field(const nlohmann::json& doc, const char* key, const std::filesystem::path& file) {
  try {
    return doc.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    return local_error(file.string() + ": field \"" + key + "\": " + e.what());
  }
}

}  // namespace sm::pki::detail
