// conditions.cpp - matching one rule's conditions against a message and a
// recipient (conditions.h). The envelope conditions are tried first: they
// are all that is known at RCPT time, and they are the cheap ones.
#include "policy/conditions.h"

#include <algorithm>

#include "directory/member.h"
#include "policy/engine.h"
#include "util/text.h"

namespace sm::policy {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// a equals b ignoring ASCII case; b is lower-case already.
bool same(std::string_view a, std::string_view lower_b) {
  return a.size() == lower_b.size() && std::equal(a.begin(), a.end(), lower_b.begin(), [](char x, char y) { return lower(x) == y; });
}

bool contains(const std::vector<std::string>& sorted, std::string_view value) {
  return std::binary_search(sorted.begin(), sorted.end(), value, std::less<>());
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

bool glob_matches(std::string_view pattern, std::string_view text) {
  // Iterative match with one backtrack point (the last '*').
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') star = p++, mark = t;
    else if (p < pattern.size() && lower(pattern[p]) == lower(text[t])) ++p, ++t;
    else if (star != std::string_view::npos) p = star + 1, t = ++mark;
    else return false;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

AddressPattern::AddressPattern(std::string_view pattern) {
  std::string p = ascii_lower(pattern);
  if (p == "*") return;
  if (p.starts_with("*@.")) kind_ = Kind::subdomain, text_ = p.substr(2);  // ".domain"
  else if (p.starts_with("*@")) kind_ = Kind::domain, text_ = p.substr(2);
  else kind_ = Kind::exact, text_ = p;
}

bool AddressPattern::matches(std::string_view address) const {
  if (kind_ == Kind::any) return true;
  if (kind_ == Kind::exact) return same(address, text_);
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string_view domain = address.substr(at + 1);
  if (kind_ == Kind::domain) return same(domain, text_);
  return domain.size() > text_.size() && same(domain.substr(domain.size() - text_.size()), text_);  // ".domain"
}

bool any_matches(const std::vector<AddressPattern>& patterns, std::string_view address) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const AddressPattern& p) { return p.matches(address); });
}

std::vector<AddressPattern> compile_patterns(const std::vector<std::string>& patterns) {
  return {patterns.begin(), patterns.end()};
}

Conditions::Conditions(const config::PolicyConditions& w, const Ladder& ladder)
    : from_(compile_patterns(w.from)),
      to_(compile_patterns(w.to)),
      member_(w.member),
      member_ids_(sorted(w.member_ids)),
      marking_min_(w.marking_min.empty() ? -1 : ladder.rank(w.marking_min)),
      marking_max_(w.marking_max.empty() ? -1 : ladder.rank(w.marking_max)),
      marked_(w.marked),
      triggers_(w.triggers),
      strong_(w.strong),
      authenticated_(w.authenticated),
      personal_(w.personal),
      jurisdictions_(sorted(w.jurisdictions)),
      size_over_(w.size_over),
      needs_content_(w.needs_content()) {
  if (!w.direction.empty()) outbound_ = w.direction == "outbound";
  for (const auto& t : w.attachment_types)
    (t.find('/') == std::string::npos ? attachment_names_ : attachment_types_).push_back(ascii_lower(t));
}

std::string_view Conditions::mismatch(const MessageFacts& facts, const RecipientFacts& rcpt) const {
  if (std::string_view e = envelope_mismatch(facts, rcpt); !e.empty()) return e;
  if (!needs_content_) return "";
  return content_mismatch(facts);
}

std::string_view Conditions::envelope_mismatch(const MessageFacts& f, const RecipientFacts& r) const {
  if (outbound_ && *outbound_ != f.outbound) return "direction";
  if (!from_.empty() && !any_matches(from_, f.sender)) return "from";  // the envelope sender
  if (!to_.empty() && !any_matches(to_, r.address)) return "to";
  if (member_ && *member_ != (r.member != nullptr)) return "member";
  if (!member_ids_.empty() && (!r.member || (!contains(member_ids_, r.member->id) && !contains(member_ids_, "*"))))
    return "member_id";
  if (strong_ && *strong_ != f.strong) return "strong";
  if (authenticated_ && *authenticated_ != f.authenticated) return "authenticated";
  if (personal_ && *personal_ != f.personal) return "personal";
  if (!jurisdictions_.empty()) {
    const std::string& where = r.member ? r.member->jurisdiction : r.route_jurisdiction;
    if (where.empty() || !contains(jurisdictions_, where)) return "jurisdiction";
  }
  return "";
}

std::string_view Conditions::content_mismatch(const MessageFacts& f) const {
  if (!f.content_known) return "?content";
  int rank = f.marking.rank;
  if (marking_min_ >= 0 && rank < marking_min_) return "marking_min";
  if (marking_max_ >= 0 && (rank < 0 || rank > marking_max_)) return "marking_max";
  if (marked_ && *marked_ != f.marking.present()) return "marked";
  if (!triggers_.empty() && std::none_of(triggers_.begin(), triggers_.end(), [&](const std::string& t) {
        return std::find(f.triggers.begin(), f.triggers.end(), t) != f.triggers.end();
      }))
    return "trigger";
  if (size_over_ && f.size <= size_over_) return "size_over";
  if (!attachment_types_.empty() || !attachment_names_.empty()) {
    auto any = [](const std::vector<std::string>& patterns, const std::vector<std::string>& values) {
      return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
        return std::any_of(values.begin(), values.end(), [&](const std::string& v) { return glob_matches(p, v); });
      });
    };
    if (!any(attachment_types_, f.attachment_types) && !any(attachment_names_, f.attachment_names)) return "attachment_type";
  }
  return "";
}

}  // namespace sm::policy
