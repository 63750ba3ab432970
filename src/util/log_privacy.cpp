// log_privacy.cpp - keyed address hashes for the operational log.
//
// An address is found by its '@': the local part runs left over the
// characters RFC 5322 allows in an atom (and '.'), or is a quoted string;
// the domain runs right over letters, digits, '-' and '.' (a final '.'
// ends a sentence, not the domain). Both sides must be non-empty.
#include "util/log_privacy.h"

#include <openssl/evp.h>

#include <cstring>

#include "util/hex.h"
#include "util/text.h"

namespace sm::log {
namespace {

bool atext(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u >= 0x80 ||
         std::strchr("!#$%&'*+-/=?^_`{|}~.", c) != nullptr;
}

bool domain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// Where the local part before line[at] == '@' starts (at when there is none).
std::size_t local_start(std::string_view line, std::size_t at) {
  if (at >= 2 && line[at - 1] == '"') {  // "quoted string"@domain
    std::size_t open = line.rfind('"', at - 2);
    return open == std::string_view::npos ? at : open;
  }
  std::size_t start = at;
  while (start > 0 && atext(line[start - 1])) --start;
  while (start < at && line[start] == '.') ++start;
  return start;
}

// Where the domain after line[at] == '@' ends.
std::size_t domain_end(std::string_view line, std::size_t at) {
  std::size_t end = at + 1;
  while (end < line.size() && domain_char(line[end])) ++end;
  while (end > at + 1 && (line[end - 1] == '.' || line[end - 1] == '-')) --end;
  return end;
}

}  // namespace

std::string address_hash(std::string_view key, std::string_view address) {
  std::string folded = ascii_lower(address);
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t size = 0;
  // One-shot MAC: no OpenSSL handle outlives the call.
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                 reinterpret_cast<const unsigned char*>(folded.data()), folded.size(), mac, sizeof mac, &size) ||
      size < 6)
    return "h:unhashable";  // never the address itself
  return "h:" + to_hex(mac, 6);
}

std::string hide_addresses(std::string_view key, std::string_view line) {
  std::string out;
  std::size_t copied = 0;
  for (std::size_t at = line.find('@'); at != std::string_view::npos; at = line.find('@', at + 1)) {
    std::size_t start = local_start(line, at);
    std::size_t end = domain_end(line, at);
    if (start == at || end == at + 1 || start < copied) continue;
    out.append(line, copied, start - copied);
    out += address_hash(key, line.substr(start, end - start));
    copied = at;  // the '@' and the domain are copied as they are
  }
  if (copied == 0) return std::string(line);
  out.append(line, copied);
  return out;
}

}  // namespace sm::log
