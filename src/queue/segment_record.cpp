// segment_record.cpp - encoding and checking segment log records (see
// segment_record.h).
#include "queue/segment_record.h"

#include <array>
#include <cstring>

namespace sm::queue {
namespace {

constexpr std::string_view kMagic = "SMQ1";

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

constexpr auto kTable = make_table();

void put32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::uint32_t get32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

bool hex_id(std::string_view id) {
  if (id.size() != 16) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

}  // namespace

std::uint32_t crc32c(std::string_view data, std::uint32_t crc) {
  crc = ~crc;
  for (unsigned char c : data) crc = kTable[(crc ^ c) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::string encode_header(RecordType type, std::uint8_t flags, std::string_view id, std::uint32_t length,
                          std::uint32_t payload_crc) {
  std::string h(kRecordHeaderSize, '\0');
  std::memcpy(h.data(), kMagic.data(), 4);
  h[4] = static_cast<char>(type);
  h[5] = static_cast<char>(flags);
  std::memcpy(h.data() + 8, id.data(), std::min<std::size_t>(id.size(), 16));
  put32(h.data() + 24, length);
  put32(h.data() + 28, crc32c(std::string_view(h).substr(0, 28), payload_crc));
  return h;
}

std::string encode_record(RecordType type, std::uint8_t flags, std::string_view id, std::string_view payload) {
  std::string r = encode_header(type, flags, id, static_cast<std::uint32_t>(payload.size()), crc32c(payload));
  r.append(payload);
  return r;
}

std::optional<RecordHeader> decode_header(std::string_view o) {
  if (o.size() < kRecordHeaderSize || o.substr(0, 4) != kMagic || o[6] != 0 || o[7] != 0) return std::nullopt;
  auto type = static_cast<std::uint8_t>(o[4]);
  if (type < 1 || type > 5) return std::nullopt;
  RecordHeader h;
  h.type = static_cast<RecordType>(type);
  h.flags = static_cast<std::uint8_t>(o[5]);
  h.id = std::string(o.substr(8, 16));
  if (!hex_id(h.id)) return std::nullopt;
  h.length = get32(o.data() + 24);
  h.crc = get32(o.data() + 28);
  if (h.type != RecordType::message && h.type != RecordType::state && h.length != 0) return std::nullopt;
  return h;
}

bool record_intact(const RecordHeader& h, std::string_view header_octets, std::string_view payload) {
  if (payload.size() != h.length || header_octets.size() < 28) return false;
  return crc32c(header_octets.substr(0, 28), crc32c(payload)) == h.crc;
}

}  // namespace sm::queue
