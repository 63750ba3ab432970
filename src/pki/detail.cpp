// detail.cpp - helpers shared by the pki implementation files (see detail.h).
#include "pki/detail.h"

#include "util/hex.h"

#include <sys/stat.h>

#include <cctype>
#include <cstring>
#include <ctime>

#include "pki/key.h"

namespace sm::pki::detail {

ossl::BioPtr mem_bio() { return ossl::BioPtr(BIO_new(BIO_s_mem())); }

ossl::BioPtr mem_bio(std::string_view data) {
  return ossl::BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::optional<std::int64_t> asn1_time_unix(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string hex(const unsigned char* data, std::size_t size, bool upper) { return to_hex(data, size, upper); }

bool is_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool is_addr_spec(std::string_view address) {
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  std::string_view local = address.substr(0, at);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return false;
  static constexpr std::string_view kAtext = "!#$%&'*+-/=?^_`{|}~.";
  for (char c : local)
    if (!std::isalnum(static_cast<unsigned char>(c)) && kAtext.find(c) == std::string_view::npos)
      return false;
  return is_host_name(address.substr(at + 1));
}

std::string errno_text(const std::filesystem::path& file, std::string_view what, int err) {
  return file.string() + ": " + std::string(what) + ": " + std::strerror(err);
}

Result<> make_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return local_error(dir.string() + ": cannot create folder: " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return local_error(errno_text(dir, "cannot chmod 0700", errno));
  return {};
}

Result<nlohmann::json> read_json(const std::filesystem::path& file) {
  auto text = read_file(file);
  if (!text) return std::unexpected(text.error());
  try {
    return nlohmann::json::parse(*text);
  } catch (const nlohmann::json::exception& e) {
    return local_error(file.string() + ": not valid JSON: " + e.what());
  }
}

Result<> write_json(const std::filesystem::path& file, const nlohmann::json& value) {
  std::string text;
  try {
    text = value.dump(2) + "\n";
  } catch (const nlohmann::json::exception& e) {
    return local_error(file.string() + ": cannot encode JSON: " + e.what());
  }
  return write_file_atomic(file, text, 0644, true);
}

}  // namespace sm::pki::detail
