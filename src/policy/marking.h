// marking.h - protective markings (NZISM 15.1/15.2; the Government
// Security Classification System) read from text: the classification on a
// configurable ladder and its endorsements, and the comparison that every
// other rule is built on.
//
// Accepted forms (the level case-insensitive, a space or hyphen alike):
//   [IN-CONFIDENCE]  [IN CONFIDENCE]  [RESTRICTED:MEDICAL]
//   [SENSITIVE:COMMERCIAL, NZEO]  [SECRET//REL TO NZL, AUS]
//   "RESTRICTED" alone as the whole first body line or header value;
// with MarkingsConfig::australian also [SEC=OFFICIAL:Sensitive, CAVEAT=RI:REL AUS/NZL]
// and the X-Protective-Marking value "VER=2018.1, NS=gov.au, SEC=...".
// A bracketed word that is not on the ladder is not a marking.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/iso3166.h"
#include "config/policy_config.h"

namespace sm::policy {

class Ladder {
 public:
  explicit Ladder(std::vector<std::string> levels);  // lowest first, canonical names
  static Ladder of(const config::MarkingsConfig& c);
  // Rank of a level name (any case, space or hyphen), -1 when not on the ladder.
  int rank(std::string_view name) const;
  const std::string& name(int rank) const;
  std::size_t size() const { return levels_.size(); }

 private:
  std::vector<std::string> levels_;
};

struct Marking {
  int rank = -1;                          // -1: no marking
  std::string level;                      // canonical ladder name
  std::vector<std::string> endorsements;  // upper-case, as written: "MEDICAL", "NZEO", "REL TO NZL, AUS"
  bool present() const { return rank >= 0; }
  // NZEO (New Zealand Eyes Only) among the endorsements.
  bool eyes_only() const;
  // The countries of a REL TO endorsement as ISO 3166-1 alpha-2 ("NZ",
  // "AU"; REL TO is written alpha-3), empty when there is none.
  std::vector<std::string> released_to() const;
  // "[RESTRICTED:MEDICAL, NZEO]"; "" when absent.
  std::string label() const;
};

// Where a marking was found, for the explanation ("subject", "first body
// line", "header X-Protective-Marking", "attachment notes.txt").
struct FoundMarking {
  std::string where;
  Marking marking;
};

class MarkingReader {
 public:
  MarkingReader(const config::MarkingsConfig& config);
  const Ladder& ladder() const { return ladder_; }
  // Every marking in a subject or other line of text (bracketed forms).
  std::vector<Marking> in_text(std::string_view text) const;
  // A header value or a first body line that is one marking, bracketed or not.
  std::optional<Marking> whole(std::string_view value) const;

 private:
  config::MarkingsConfig config_;
  Ladder ladder_;
};

// The highest of several, with the endorsements of every marking found
// merged (an NZEO or REL TO on a lower marking still binds: a forward must
// not shed it); absent when none is present. Several REL TO endorsements
// release to the countries they all name (Marking::released_to).
Marking highest(const std::vector<FoundMarking>& found);

// ISO 3166-1 (config/iso3166.h): iso3166_alpha2("NZ") is an assigned
// code; alpha2_of("NZL") == "NZ", "" when unknown.
using config::alpha2_of;
using config::iso3166_alpha2;

}  // namespace sm::policy
