// conditions.h - the conditions of a [[policy.rule]] or [[journal.rule]]
// compiled once, when the Engine is built: address patterns parsed, ladder
// levels turned into ranks, word and country lists sorted for lookup. A
// policy of hundreds of rules is then a walk over plain comparisons for
// each recipient.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/policy_config.h"
#include "policy/marking.h"

namespace sm::policy {

struct MessageFacts;
struct RecipientFacts;

// "*", "*@domain", "*@.domain" (any subdomain), or an exact address.
class AddressPattern {
 public:
  explicit AddressPattern(std::string_view pattern);
  bool matches(std::string_view address) const;  // address in any case

 private:
  enum class Kind { any, domain, subdomain, exact } kind_ = Kind::any;
  std::string text_;  // lower-case: the domain, or the whole address
};

// Any of several patterns (config lists); an empty list matches nothing.
bool any_matches(const std::vector<AddressPattern>& patterns, std::string_view address);
std::vector<AddressPattern> compile_patterns(const std::vector<std::string>& patterns);

class Conditions {
 public:
  Conditions(const config::PolicyConditions& when, const Ladder& ladder);
  // The first condition that does not hold, by its config key ("to",
  // "marking_min", ...); "" when all hold. At RCPT (content not known) a
  // condition that needs the content is reported as "?" + its key.
  std::string_view mismatch(const MessageFacts& facts, const RecipientFacts& rcpt) const;
  bool needs_content() const { return needs_content_; }

 private:
  std::string_view envelope_mismatch(const MessageFacts& facts, const RecipientFacts& rcpt) const;
  std::string_view content_mismatch(const MessageFacts& facts) const;

  std::optional<bool> outbound_;
  std::vector<AddressPattern> from_, to_;
  std::optional<bool> member_;
  std::vector<std::string> member_ids_;  // sorted; "*" any member
  int marking_min_ = -1, marking_max_ = -1;  // ranks, -1 when not given
  std::optional<bool> marked_;
  std::vector<std::string> triggers_;
  std::optional<bool> strong_, authenticated_, personal_;
  std::vector<std::string> jurisdictions_;
  std::uint64_t size_over_ = 0;
  std::vector<std::string> attachment_types_;  // media type patterns
  std::vector<std::string> attachment_names_;  // file name globs
  bool needs_content_ = false;
};

// Shell-style '*' match, ASCII case-insensitive ("*.exe", "image/*").
bool glob_matches(std::string_view pattern, std::string_view text);

}  // namespace sm::policy
