// policy_defaults.cpp - the defaults of policy_config.h that are not plain
// values: the earlier programme's trigger words, and which rule conditions
// only the message content can decide.
#include "config/policy_config.h"

namespace sm::config {

std::vector<TriggerWord> default_triggers() {
  using A = TriggerWord::Allow;
  return {
      {"SEEMAIL", A::members, "", 0},
      {"TRUSTED", A::trusted, "", 0},
      {"SENSITIVE", A::accredited, "SENSITIVE", 0},
      {"RESTRICTED", A::accredited, "RESTRICTED", 0},
      {"IN-CONFIDENCE", A::participants, "", 0},
  };
}

bool PolicyConditions::needs_content() const {
  return !marking_min.empty() || !marking_max.empty() || marked.has_value() || !triggers.empty() || size_over != 0 ||
         !attachment_types.empty();
}

}  // namespace sm::config
