// observations.h - what the certification facility saw at its test
// addresses and extra listeners (docs/certification.md "The facility"),
// written by the facility gateway and read by the runner: one JSON object
// per line in DATA/certify/observations.jsonl.
//
//   {"at":"ISO","where":"tempfail@facility.example","client":"127.0.0.1",
//    "message_id":"...","reply":"451 4.3.0 ...","tls":"TLSv1.3"}
//   {"at":"ISO","where":"strip","client":"127.0.0.1","event":"MAIL FROM:<...>","tls":""}
//
// `where` is a test address (tempfail@, delay@, refuse@, noreceipt@) or a
// listener (strip, badtls); `event` is what happened on a listener: the
// connection, its EHLO, STARTTLS, MAIL, RCPT, DATA. Lines are appended
// with one write each (O_APPEND) and never rewritten; a line that does not
// parse is skipped by the reader (a torn write after a crash). Nothing
// here is a secret: the file holds no message content.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "util/error.h"

namespace sm::certify {

struct Observation {
  std::int64_t at = 0;  // unix seconds
  std::string where, client, message_id, reply, event, tls;
};

// DATA/certify/observations.jsonl
std::filesystem::path observations_file(const std::filesystem::path& data);

// Append one line (the file is created 0640 if missing).
Result<void> record_observation(const std::filesystem::path& file, const Observation& o);

// The lines from `offset` on (complete lines only); `offset` moves past them.
std::vector<Observation> read_observations(const std::filesystem::path& file, std::uint64_t& offset);

// The file's size now: where a reader that only wants what comes next starts.
std::uint64_t observations_end(const std::filesystem::path& file);

}  // namespace sm::certify
