// segment_record.h - the record format of the queue's segment log.
//
// A segment (QUEUE/segments/<16 hex>.log) is a sequence of records, each a
// 32-octet header and its payload:
//
//   0  magic "SMQ1"
//   4  record type (RecordType)
//   5  flags (kFlagHeld: a message committed straight into hold)
//   6  two zero octets
//   8  queue id, 16 upper-case hex digits
//   24 payload length (uint32, little endian)
//   28 CRC-32C of the payload followed by octets 0..27 of the header
//
// Payloads: a message record holds the envelope block and the message
// octets exactly as queue_file.h encodes a queue file; a state record the
// state sidecar text (format_state); hold, release and done are empty.
// The CRC is taken over the payload first so that a writer can compute it
// while the message streams in, before its length is known.
//
// This file knows octets only: no files, no index.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sm::queue {

enum class RecordType : std::uint8_t {
  message = 1,  // envelope block + message octets
  state = 2,    // delivery progress (replaces the previous state record)
  hold = 3,     // the operator held the message
  release = 4,  // the operator released it
  done = 5,     // tombstone: delivered, failed or deleted
};

inline constexpr std::size_t kRecordHeaderSize = 32;
inline constexpr std::uint8_t kFlagHeld = 1;

struct RecordHeader {
  RecordType type = RecordType::message;
  std::uint8_t flags = 0;
  std::string id;  // 16 hex digits
  std::uint32_t length = 0;
  std::uint32_t crc = 0;
};

// CRC-32C (Castagnoli), software table; extend a running value with more octets.
std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0);

// The 32 header octets; crc is completed from payload_crc (crc32c of the payload).
std::string encode_header(RecordType type, std::uint8_t flags, std::string_view id, std::uint32_t length,
                          std::uint32_t payload_crc);

// A whole record (header and payload) for small payloads.
std::string encode_record(RecordType type, std::uint8_t flags, std::string_view id, std::string_view payload);

// Decode 32 header octets: nullopt when the magic, type, id or reserved
// octets are wrong (not a record start). The CRC is checked by record_intact.
std::optional<RecordHeader> decode_header(std::string_view octets);

// Does the payload match the header's CRC?
bool record_intact(const RecordHeader& h, std::string_view header_octets, std::string_view payload);

}  // namespace sm::queue
