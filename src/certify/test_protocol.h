// test_protocol.h - `securemail-test/1`, what test agents say to each
// other (issue 17): every member gateway answers at securemail-test@<its
// primary domain>; a verified, sealed ping from a member gets a signed,
// sealed pong back to the pinging member's own agent. Self-tests use it to
// prove, end to end and on schedule, that sealing, verification and
// delivery still work between two gateways.
//
// A message of the protocol is one application/json body (7bit, at most
// 64 KiB) with the subject "SECUREMAIL-TEST <action> <nonce>":
//   {"protocol":"securemail-test/1","action":"ping","nonce":"<22 base64url>","sent":"ISO"}
//   {"protocol":"securemail-test/1","action":"pong","nonce":"...","received":"ISO",
//    "software":"securemail 0.1.0","certificates":[{"sha256":"...","not_after":"ISO"}],
//    "crl_next_update":"ISO or null"}
// Unknown fields are ignored; a missing or ill-typed known field refuses the message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace sm::certify {

inline constexpr std::string_view kAgentLocalPart = "securemail-test";
inline constexpr std::string_view kTestProtocol = "securemail-test/1";
inline constexpr std::size_t kMaxTestBody = 64 * 1024;

// "securemail-test@<domain>"
std::string agent_address(std::string_view domain);
// Is `address` the test agent's address at `domain`? (case-insensitive)
bool is_agent_address(std::string_view address, std::string_view domain);

struct AgentCertificate {
  std::string sha256, not_after;  // lower-case hex; ISO 8601 UTC
};

struct AgentMessage {
  enum class Action { ping, pong };
  Action action = Action::ping;
  std::string nonce;
  std::int64_t at = 0;  // ping: sent; pong: received (unix seconds)
  // pong only
  std::string software;
  std::vector<AgentCertificate> certificates;
  std::int64_t crl_next_update = 0;  // 0: none
};

std::string to_json(const AgentMessage& body);
// 554 5.6.0 naming what is wrong.
Result<AgentMessage> parse_test_body(std::string_view json);
// "SECUREMAIL-TEST ping <nonce>"
std::string test_subject(const AgentMessage& body);

}  // namespace sm::certify
