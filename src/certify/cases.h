// cases.h - the certification battery's catalogue (issue 17): every case a
// certification run can judge, with its group, what it checks and the RFC
// or requirement it cites, how it is observed, and what it needs first.
// Profiles (profile.h) say which cases are required; the runner judges
// them. The table is static: `securemail certify cases --json` prints it
// and the e2e tests compute expected failure sets from it.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sm::certify {

enum class Group { interoperability, security, operations };

// How a case is observed: directly by the runner (SMTP replies, TLS), from
// the target's test agent's report on what it received, or by a trigger
// that makes the target send to the facility.
enum class Path { direct, agent, trigger };

// Preconditions: a case whose precondition failed is FAIL "not run: needs
// ..." so that a broken property fails exactly the cases that depend on it.
enum Need : unsigned {
  kNeedsNothing = 0,
  kNeedsTls = 1u << 0,    // SEC-TLS-OFFERED passed
  kNeedsPin = 1u << 1,    // SEC-TLS-CERT passed: the TLS certificate is the directory's
  kNeedsCert = 1u << 2,   // the target's S/MIME certificate is valid
  kNeedsAgent = 1u << 3,  // the target's test agent answered a ping
};

struct CaseSpec {
  std::string_view id;     // "SEC-TLS-VERSION": GROUP-TOPIC[-DETAIL], upper case
  Group group;
  std::string_view title;  // what it checks, one line
  std::string_view cites;  // "RFC 8996, RFC 9325 3.1"
  Path path;
  unsigned needs;          // Need bits
};

std::span<const CaseSpec> catalogue();
const CaseSpec* find_case(std::string_view id);
std::string_view to_string(Group g);
std::string_view to_string(Path p);
// "tls,pin" for the Need bits; "" for none.
std::string needs_text(unsigned needs);

}  // namespace sm::certify
