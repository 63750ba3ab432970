// policy_section.cpp - [policy]: what the gateway does with mail that
// claims a member's domain but fails verification (forgery), the subject
// tag such mail gets when it is delivered anyway, how long sealed mail
// stays acceptable (replay_window), and how clients whose sealed mail keeps
// failing are slowed and refused (sealed_failure_*).
//
// The default must stay the safe one: forgeries are rejected.
#include <algorithm>

#include "config/loader.h"

namespace sm::config {
namespace {

constexpr std::size_t kMaxSubjectTag = 100;

}  // namespace

namespace detail {

std::string_view forgery_name(Config::Policy::Forgery f) {
  switch (f) {
    case Config::Policy::Forgery::reject: return "reject";
    case Config::Policy::Forgery::quarantine: return "quarantine";
    case Config::Policy::Forgery::tag: return "tag";
  }
  return "reject";
}

std::optional<Config::Policy::Forgery> parse_forgery(std::string_view text) {
  for (auto f : {Config::Policy::Forgery::reject, Config::Policy::Forgery::quarantine, Config::Policy::Forgery::tag})
    if (text == forgery_name(f)) return f;
  return std::nullopt;
}

bool valid_subject_tag(std::string_view tag) {
  return !tag.empty() && tag.size() <= kMaxSubjectTag &&
         std::all_of(tag.begin(), tag.end(), [](unsigned char ch) { return ch >= 0x20 && ch < 0x7f; });
}

void Loader::read_policy(Section& root, Config& c) {
  Section p = section(root, "policy");
  auto& policy = c.policy;
  std::string forgery = text(p, "forgery", "reject");
  if (auto f = parse_forgery(forgery)) policy.forgery = *f;
  else error(line_of("policy.forgery"), "policy.forgery",
             "bad value \"" + forgery + "\" (use reject, quarantine or tag)");

  // The tag goes into a header field: no controls (a CR LF would start a
  // header of the sender's choosing) and nothing that needs RFC 2047.
  std::size_t before = errors_.size();
  policy.subject_tag = text(p, "forgery_subject_tag", "[SUSPECTED FORGERY]");
  const std::string& tag = policy.subject_tag;
  if (errors_.size() == before && !valid_subject_tag(tag))
    error(line_of("policy.forgery_subject_tag"), "policy.forgery_subject_tag",
          "must be 1.." + std::to_string(kMaxSubjectTag) + " printable ASCII characters, got " + quote(tag));

  policy.replay_window = duration(p, "replay_window", "7d");
  policy.sealed_failure_delay = duration(p, "sealed_failure_delay", "1s");
  policy.sealed_failure_limit = count(p, "sealed_failure_limit", 10, 1);
  policy.sealed_failure_window = duration(p, "sealed_failure_window", "10m");
  policy.sealed_failure_block = duration(p, "sealed_failure_block", "15m");
  read_policy_rules(p, c);  // [[policy.rule]] (policy_rules_section.cpp)
  finish(p);
}

std::string describe_policy(const Config& c) {
  const auto& p = c.policy;
  std::string o;
  o += "policy.forgery = " + quote(forgery_name(p.forgery)) + "\n";
  o += "policy.forgery_subject_tag = " + quote(p.subject_tag) +
       (p.forgery == Config::Policy::Forgery::tag ? "" : "  # used with forgery = \"tag\"") + "\n";
  o += "policy.replay_window = " + quote(format_duration(p.replay_window)) + "\n";
  o += "policy.sealed_failure_delay = " + quote(format_duration(p.sealed_failure_delay)) + "\n";
  o += "policy.sealed_failure_limit = " + std::to_string(p.sealed_failure_limit) + "\n";
  o += "policy.sealed_failure_window = " + quote(format_duration(p.sealed_failure_window)) + "\n";
  o += "policy.sealed_failure_block = " + quote(format_duration(p.sealed_failure_block)) + "\n";
  return o;
}

}  // namespace detail
}  // namespace sm::config
