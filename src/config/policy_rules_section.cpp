// policy_rules_section.cpp - [[policy.rule]]: the per-recipient rules,
// first match decides (docs/policy.md), and the conditions they share with
// [[journal.rule]].
//
// A bad rule stops the start with file:line:key: an unknown condition
// (finish()), a level not on the ladder, a trigger word not configured, a
// country that is not ISO 3166-1 alpha-2, a rule that can never match
// because an earlier one has no condition, decision "pickup" on a
// gateway without [pickup] pages, and pickup_pdf on another decision.
#include <algorithm>

#include "config/loader.h"
#include "util/text.h"

namespace sm::config {
namespace {

constexpr std::size_t kMaxReason = 200;
constexpr std::string_view kDecisions = "seal, plain, pickup, hold, return or refuse";

struct DecisionName {
  PolicyDecision decision;
  std::string_view name;
};
constexpr DecisionName kDecisionNames[] = {
    {PolicyDecision::seal, "seal"},     {PolicyDecision::plain, "plain"},   {PolicyDecision::pickup, "pickup"},
    {PolicyDecision::hold, "hold"},     {PolicyDecision::return_, "return"}, {PolicyDecision::refuse, "refuse"},
};

std::string_view decision_name(PolicyDecision d) {
  for (const auto& n : kDecisionNames)
    if (n.decision == d) return n.name;
  return "plain";
}

// A rule name: it is logged and shown to operators.
bool rule_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
  });
}

// A media type pattern ("application/zip", "image/*") or a file name
// pattern ("*.exe", "invoice.pdf"), lower-case.
bool attachment_pattern(std::string_view p) {
  if (p.empty() || p.size() > 127) return false;
  if (!std::all_of(p.begin(), p.end(), [](unsigned char ch) { return ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\'; }))
    return false;
  auto slash = p.find('/');
  if (slash == std::string_view::npos) return true;  // a file name
  return slash > 0 && slash + 1 < p.size() && p.find('/', slash + 1) == std::string_view::npos &&
         p.substr(0, slash).find('*') == std::string_view::npos;
}

bool no_condition(const PolicyConditions& w) {
  return w.direction.empty() && w.from.empty() && w.to.empty() && !w.member && w.member_ids.empty() &&
         w.marking_min.empty() && w.marking_max.empty() && !w.marked && w.triggers.empty() && !w.strong &&
         !w.authenticated && w.jurisdictions.empty() && w.size_over == 0 && w.attachment_types.empty() && !w.personal;
}

}  // namespace

namespace detail {

std::vector<std::pair<std::uint32_t, std::string>> Loader::one_or_more(Section& s, std::string_view k) {
  if (s.table) {
    const toml::node* n = s.table->get(k);
    if (n && n->is_string()) {
      take(s, k);
      return {{n->source().begin.line, n->as_string()->get()}};
    }
  }
  return strings(s, k);
}

PolicyConditions Loader::read_conditions(Section& s, const Config& c) {
  PolicyConditions w;
  std::size_t before = errors_.size();
  w.direction = text(s, "direction", "");
  if (errors_.size() == before && !w.direction.empty() && w.direction != "outbound" && w.direction != "inbound")
    error(line_of(key(s, "direction")), key(s, "direction"), "bad value " + quote(printable(w.direction)) + " (use outbound or inbound)");
  w.from = address_patterns(s, "from", true);
  w.to = address_patterns(s, "to", true);
  auto maybe = [&](std::string_view k, std::optional<bool>& out) {
    if (s.table && s.table->contains(k)) out = flag(s, k, false);
    else take(s, k);
  };
  maybe("member", w.member);
  w.member_ids = member_ids(s, "member_id");
  w.marking_min = ladder_level(s, "marking_min", "", c);
  w.marking_max = ladder_level(s, "marking_max", "", c);
  if (!w.marking_min.empty() && !w.marking_max.empty() &&
      ladder_rank(c.markings.ladder, w.marking_min) > ladder_rank(c.markings.ladder, w.marking_max))
    error(line_of(key(s, "marking_max")), key(s, "marking_max"),
          quote(w.marking_max) + " is below marking_min " + quote(w.marking_min) + ": the rule could never match");
  maybe("marked", w.marked);
  for (auto& [line, word] : one_or_more(s, "trigger")) {
    std::string t = ascii_upper(word);
    if (t.size() >= 2 && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
    if (std::none_of(c.triggers.begin(), c.triggers.end(), [&](const TriggerWord& tw) { return tw.word == t; }))
      error(line, key(s, "trigger"), quote(printable(word)) + " is not a trigger word (see [[trigger]])");
    else w.triggers.push_back(t);
  }
  maybe("strong", w.strong);
  maybe("authenticated", w.authenticated);
  for (auto& [line, code] : one_or_more(s, "jurisdiction"))
    if (auto j = jurisdiction(line, key(s, "jurisdiction"), code); !j.empty()) w.jurisdictions.push_back(j);
  if (s.table && s.table->contains("size_over")) {
    w.size_over = size(s, "size_over", "0");
    if (w.size_over == 0) error(line_of(key(s, "size_over")), key(s, "size_over"), "must be more than 0");
  } else {
    take(s, "size_over");
  }
  for (auto& [line, type] : one_or_more(s, "attachment_type")) {
    std::string t = ascii_lower(type);
    if (attachment_pattern(t)) w.attachment_types.push_back(t);
    else error(line, key(s, "attachment_type"),
               "bad pattern " + quote(printable(type)) + " (a media type \"application/zip\", \"image/*\" or a name \"*.exe\")");
  }
  maybe("personal", w.personal);
  return w;
}

void Loader::read_policy_rules(Section& policy, Config& c) {
  std::uint32_t catch_all = 0;
  std::string catch_all_name;
  for (Section& s : table_array(policy, "rule", "rule")) {
    PolicyRule rule;
    rule.line = s.table->source().begin.line;
    rule.name = text(s, "name", "");
    std::uint32_t name_line = line_of(key(s, "name"));
    if (!name_line) error(rule.line, key(s, "name"), "missing: a name for the rule (shown in every decision)");
    else if (!rule_name(rule.name))
      error(name_line, key(s, "name"), "bad name " + quote(printable(rule.name)) + " (1 to 64 of letters, digits, '-', '_', '.')");
    else if (rule.name == "default")
      error(name_line, key(s, "name"), "\"default\" names the decision made when no rule matches");
    else if (std::any_of(c.rules.begin(), c.rules.end(), [&](const PolicyRule& o) { return o.name == rule.name; }))
      error(name_line, key(s, "name"), quote(rule.name) + " is used by another [[policy.rule]]");
    std::string decision = text(s, "decision", "");
    std::uint32_t at = line_of(key(s, "decision"));
    auto known = std::find_if(std::begin(kDecisionNames), std::end(kDecisionNames),
                              [&](const DecisionName& n) { return n.name == decision; });
    if (!at) error(rule.line, key(s, "decision"), std::string("missing: one of ") + std::string(kDecisions));
    else if (decision == "pickup" && !c.pickup.enabled())
      error(at, key(s, "decision"), "pickup needs [pickup] listen and public_url (the pages recipients open)");
    else if (known == std::end(kDecisionNames))
      error(at, key(s, "decision"), "bad value " + quote(printable(decision)) + " (use " + std::string(kDecisions) + ")");
    else rule.decision = known->decision;
    std::size_t before = errors_.size();
    rule.reason = text(s, "reason", "");
    if (errors_.size() == before && (rule.reason.size() > kMaxReason || printable(rule.reason) != rule.reason ||
                                     std::any_of(rule.reason.begin(), rule.reason.end(), [](unsigned char ch) { return ch > 0x7e; })))
      error(line_of(key(s, "reason")), key(s, "reason"),
            "must be at most " + std::to_string(kMaxReason) + " printable ASCII characters (it goes into an SMTP reply)");
    rule.pickup_pdf = flag(s, "pickup_pdf", false);
    if (rule.pickup_pdf && at && rule.decision != PolicyDecision::pickup)
      error(line_of(key(s, "pickup_pdf")), key(s, "pickup_pdf"), "only with decision = \"pickup\"");
    rule.when = read_conditions(s, c);
    finish(s);
    if (catch_all)
      error(rule.line, key(s, "name"),
            "unreachable: rule " + quote(catch_all_name) + " (line " + std::to_string(catch_all) +
                ") has no condition and decides for every recipient before it");
    else if (no_condition(rule.when)) catch_all = rule.line, catch_all_name = rule.name;
    c.rules.push_back(std::move(rule));
  }
}

std::string describe_conditions(const PolicyConditions& w) {
  std::vector<std::string> parts;
  auto add = [&](std::string_view k, const std::string& v) { parts.push_back(std::string(k) + " = " + v); };
  auto yes = [](bool b) { return std::string(b ? "true" : "false"); };
  if (!w.direction.empty()) add("direction", quote(w.direction));
  if (!w.from.empty()) add("from", string_list(w.from));
  if (!w.to.empty()) add("to", string_list(w.to));
  if (w.member) add("member", yes(*w.member));
  if (!w.member_ids.empty()) add("member_id", string_list(w.member_ids));
  if (!w.marking_min.empty()) add("marking_min", quote(w.marking_min));
  if (!w.marking_max.empty()) add("marking_max", quote(w.marking_max));
  if (w.marked) add("marked", yes(*w.marked));
  if (!w.triggers.empty()) add("trigger", string_list(w.triggers));
  if (w.strong) add("strong", yes(*w.strong));
  if (w.authenticated) add("authenticated", yes(*w.authenticated));
  if (!w.jurisdictions.empty()) add("jurisdiction", string_list(w.jurisdictions));
  if (w.size_over) add("size_over", std::to_string(w.size_over));
  if (!w.attachment_types.empty()) add("attachment_type", string_list(w.attachment_types));
  if (w.personal) add("personal", yes(*w.personal));
  std::string o;
  for (const auto& p : parts) o += (o.empty() ? "" : ", ") + p;
  return o;
}

std::string describe_policy_rules(const Config& c) {
  if (c.rules.empty()) return "policy.rule = []  # no rules: the defaults and guards decide\n";
  std::string o = "policy.rule = [  # first match decides";
  for (const auto& r : c.rules) {
    std::string when = describe_conditions(r.when);
    o += "\n  {name = " + quote(r.name) + ", decision = " + quote(decision_name(r.decision)) +
         (r.reason.empty() ? "" : ", reason = " + quote(r.reason)) + (r.pickup_pdf ? ", pickup_pdf = true" : "") + (when.empty() ? "" : ", " + when) + "},";
  }
  return o + "\n]\n";
}

}  // namespace detail
}  // namespace sm::config
