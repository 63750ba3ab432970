// demo_steps.cpp - what the demo shows happened, and the proof: each step is
// a log line of gateway a (the sender's) or gateway b (the receiver's),
// found by the table below. The table is the only place that knows the
// gateways' log texts; when they change, change it (and nothing else).
//
// Lines about a message start with its id (util/log.h): the SMTP session's
// id while it is being received, the queue id once queued. A pattern's {ID}
// stands for any id of the demo message known on that gateway: a's starts
// as the queue id its relay listener answered with, and the id links add
// the others (a's session id, b's queue and session ids) from the lines
// that tie them together, so a line about another message never counts.
#include <regex>
#include <set>
#include <sstream>

#include "app/demo_parts.h"

namespace sm::app::demo {
namespace {

struct StepRule {
  std::string_view step;     // as shown
  Side side;                 // whose log proves it
  std::string_view pattern;  // ECMAScript regex on the line without its time/level prefix
  std::string_view meaning;  // one line for the reader
};

// A line in `in`'s log whose group 1 is another id of the demo message on
// gateway `learns`; {ID}: the ids known on `in`.
struct IdLink {
  Side in;
  std::string_view pattern;
  Side learns;
};

// clang-format off
constexpr StepRule kSteps[] = {
  {"looked up",     Side::sender,   R"({ID}: to=<bob@b\.example>: member b-example\b)",
   "gw.a.example asked its copy of the signed directory: b.example is member b-example"},
  {"signed",        Side::sender,   R"({ID}: sealed for member b-example as \w+: signed by\b)",
   "signed with gw.a.example's key (S/MIME)"},
  {"encrypted",     Side::sender,   R"({ID}: sealed for member b-example as \w+: .*\bencrypted\b)",
   "encrypted to the gateway certificate the directory lists for b-example"},
  {"sent over TLS", Side::sender,   R"({ID}: sealed for member b-example: sent to \S+ over TLSv1\.[23]\b.*certificate matches the directory)",
   "delivered to b's inbound listener over TLS; its certificate is the one in the directory"},
  {"received",      Side::receiver, R"({ID}: client=\[[^\]]*\], from=<alice@a\.example>, .*tls=TLSv1\.[23])",
   "gw.b.example's inbound listener accepted the sealed message (over TLS)"},
  {"decrypted",     Side::receiver, R"({ID}: .*sealed message from <alice@a\.example>: decrypted\b)",
   "opened with gw.b.example's key"},
  {"verified",      Side::receiver, R"({ID}: .*sealed message from .*\bverified: signed by member a-example\b.*smime=pass)",
   "the signature checks out, and its signer is the gateway of a-example, which owns a.example"},
  {"delivered",     Side::receiver, R"({ID}: to=<bob@b\.example>, relay=maildir, status=sent\b)",
   "written to bob's Maildir with an Authentication-Results header"},
};

constexpr IdLink kIdLinks[] = {
  // a's session id: the one that sealed the copy queued under the id a answered with
  {Side::sender,   R"((\w+): sealed for member \S+ as {ID}\b)", Side::sender},
  // b's queue id: what b answered a's delivery with
  {Side::sender,   R"({ID}: to=<[^>]*>, relay=\S+, status=sent \(250 .*queued as (\w+))", Side::receiver},
  // b's session id: the one that opened the sealed message and queued it
  {Side::receiver, R"((\w+): .*sealed message from .*-> queued as {ID}\b)", Side::receiver},
};
// clang-format on

// "2026-11-23T16:02:11.123Z info securemail[42]: TEXT" -> "TEXT".
std::string without_prefix(const std::string& line) {
  static const std::regex prefix(R"(^\S+ \S+ securemail\[\d+\]: )");
  return std::regex_replace(line, prefix, "", std::regex_constants::format_first_only);
}

std::vector<std::string> lines_of(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) out.push_back(without_prefix(line));
  return out;
}

std::string regex_escape(const std::string& s) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(s, special, R"(\$&)");
}

// The pattern with {ID} replaced by (?:id1|id2...); nullopt when it needs an
// id and none is known yet.
std::optional<std::string> expand(std::string_view pattern, const std::set<std::string>& ids) {
  std::string p(pattern);
  auto at = p.find("{ID}");
  if (at == std::string::npos) return p;
  if (ids.empty()) return std::nullopt;
  std::string alt;
  for (const auto& id : ids) alt += (alt.empty() ? "" : "|") + regex_escape(id);
  do {
    p.replace(at, 4, "(?:" + alt + ")");
    at = p.find("{ID}", at);
  } while (at != std::string::npos);
  return p;
}

int index(Side s) { return s == Side::sender ? 0 : 1; }

// Apply kIdLinks until nothing new is learned.
void learn_ids(const std::vector<std::string> (&lines)[2], std::set<std::string> (&ids)[2]) {
  for (bool learned = true; learned;) {
    learned = false;
    for (const auto& link : kIdLinks) {
      auto p = expand(link.pattern, ids[index(link.in)]);
      if (!p) continue;
      std::regex re(*p);
      std::smatch m;
      for (const auto& line : lines[index(link.in)])
        if (std::regex_search(line, m, re) && m[1].matched && ids[index(link.learns)].insert(m[1].str()).second)
          learned = true;
    }
  }
}

}  // namespace

std::vector<StepEvidence> find_steps(const std::string& sender_log, const std::string& receiver_log,
                                     const std::string& sender_id) {
  const std::vector<std::string> lines[] = {lines_of(sender_log), lines_of(receiver_log)};
  std::set<std::string> ids[2];
  if (!sender_id.empty()) ids[0].insert(sender_id);
  learn_ids(lines, ids);
  std::vector<StepEvidence> out;
  for (const auto& rule : kSteps) {
    int side = index(rule.side);
    StepEvidence e{std::string(rule.step), std::string(rule.meaning), rule.side, std::nullopt, std::string(rule.pattern)};
    if (auto p = expand(rule.pattern, ids[side])) {
      std::regex re(*p);
      for (const auto& line : lines[side])
        if (std::regex_search(line, re)) {
          e.line = line;
          break;
        }
    }
    out.push_back(std::move(e));
  }
  return out;
}

bool all_found(const std::vector<StepEvidence>& steps) {
  for (const auto& s : steps)
    if (!s.line) return false;
  return true;
}

}  // namespace sm::app::demo
