// policy_marking_test.cpp - the protective marking parser (marking.h):
// a table of the NZISM spellings and the Australian formats, what is not a
// marking, the ladder's name matching, labels, releasability and the
// highest of several; the ISO 3166 tables.
#include <gtest/gtest.h>

#include "policy/marking.h"

using namespace sm;
using policy::FoundMarking;
using policy::Marking;
using policy::MarkingReader;

namespace {

config::MarkingsConfig nz() { return {}; }
config::MarkingsConfig au() {
  config::MarkingsConfig c;
  c.australian = true;
  return c;
}

struct TextCase {
  const char* text;
  bool australian;
  const char* label;  // the first marking's label; "" : none found
};

const TextCase kText[] = {
    {"[IN-CONFIDENCE] budget", false, "[IN-CONFIDENCE]"},
    {"[IN CONFIDENCE] budget", false, "[IN-CONFIDENCE]"},
    {"[in-confidence] budget", false, "[IN-CONFIDENCE]"},
    {"[In  Confidence]", false, "[IN-CONFIDENCE]"},
    {"Re: [UNCLASSIFIED] minutes", false, "[UNCLASSIFIED]"},
    {"[RESTRICTED:MEDICAL] patient", false, "[RESTRICTED:MEDICAL]"},
    {"[RESTRICTED: medical]", false, "[RESTRICTED:MEDICAL]"},
    {"[SENSITIVE:COMMERCIAL, NZEO] tender", false, "[SENSITIVE:COMMERCIAL, NZEO]"},
    {"[SECRET//REL TO NZL, AUS] plan", false, "[SECRET//REL TO NZL, AUS]"},
    {"[SECRET/REL TO NZL]", false, "[SECRET//REL TO NZL]"},
    {"[RESTRICTED:MEDICAL//REL TO NZL, GBR]", false, "[RESTRICTED:MEDICAL//REL TO NZL, GBR]"},
    {"[TOP SECRET] x", false, "[TOP SECRET]"},
    {"[TOP-SECRET] x", false, "[TOP SECRET]"},
    {"[Confidential]", false, "[CONFIDENTIAL]"},
    {"Fwd: [[RESTRICTED]]", false, "[RESTRICTED]"},
    {"[URGENT] not a marking", false, ""},
    {"[SEEMAIL] trigger, not a marking", false, ""},
    {"[SECRET", false, ""},
    {"SECRET unbracketed in a subject", false, ""},
    {"[]", false, ""},
    {"[SEC=OFFICIAL:Sensitive] x", false, ""},  // Australian only when asked for
    {"[SEC=OFFICIAL:Sensitive, CAVEAT=RI:REL AUS/NZL] x", true, "[SENSITIVE//REL TO AUS, NZL]"},
    {"[SEC=OFFICIAL]", true, "[UNCLASSIFIED]"},
    {"[SEC=UNOFFICIAL]", true, "[UNCLASSIFIED]"},
    {"[SEC=PROTECTED, CAVEAT=SH:CABINET]", true, "[RESTRICTED:CABINET]"},
    {"[SEC=PROTECTED, ACCESS=Legal-Privilege]", true, "[RESTRICTED:LEGAL-PRIVILEGE]"},
    {"[SEC=SECRET, CAVEAT=RI:AUSTEO]", true, "[SECRET:AUSTEO]"},
    {"[SEC=TOP-SECRET]", true, "[TOP SECRET]"},
    {"[SEC=CLASSIFIED]", true, ""},
    {"[IN-CONFIDENCE] also NZ with australian on", true, "[IN-CONFIDENCE]"},
    {"[RESTRICTED:X, SEC=SECRET]", true, "[RESTRICTED:X, SEC=SECRET]"},  // starts with a level: New Zealand form
};

}  // namespace

TEST(PolicyMarking, TextTable) {
  for (const auto& c : kText) {
    MarkingReader r(c.australian ? au() : nz());
    auto found = r.in_text(c.text);
    std::string got = found.empty() ? "" : found.front().label();
    EXPECT_EQ(got, c.label) << c.text;
  }
}

TEST(PolicyMarking, EveryMarkingInALine) {
  MarkingReader r(nz());
  auto found = r.in_text("Fwd: [IN-CONFIDENCE] [NOTE] Re: [RESTRICTED:MEDICAL] [SECRET]");
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].level, "IN-CONFIDENCE");
  EXPECT_EQ(found[1].level, "RESTRICTED");
  EXPECT_EQ(found[2].level, "SECRET");
  EXPECT_EQ(found[2].rank, 5);
}

TEST(PolicyMarking, WholeValue) {
  MarkingReader r(nz());
  EXPECT_EQ(r.whole("RESTRICTED")->label(), "[RESTRICTED]");
  EXPECT_EQ(r.whole("  [IN CONFIDENCE]  ")->label(), "[IN-CONFIDENCE]");
  EXPECT_EQ(r.whole("SENSITIVE:COMMERCIAL, NZEO")->label(), "[SENSITIVE:COMMERCIAL, NZEO]");
  EXPECT_FALSE(r.whole("Secret plans for Friday").has_value());
  EXPECT_FALSE(r.whole("Hello Bob,").has_value());
  EXPECT_FALSE(r.whole("[RESTRICTED] please read").has_value());
  EXPECT_FALSE(r.whole("").has_value());
  // A bracket inside a header value is dropped (found by fuzz/policy_scan): the label reads back.
  EXPECT_EQ(r.whole("SENSITIVE:COMM[ERCIAL, NZEO")->label(), "[SENSITIVE:COMMERCIAL, NZEO]");
  // The Australian X-Protective-Marking header value.
  MarkingReader a(au());
  auto m = a.whole("VER=2018.1, NS=gov.au, SEC=PROTECTED, CAVEAT=SH:CABINET, ORIGIN=jane@agency.gov.au");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->label(), "[RESTRICTED:CABINET]");
  m = a.whole("VER=2018.1, NS=gov.au, SEC=OFFICIAL:Sensitive, CAVEAT=RI:REL AUS/NZL/GBR");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->level, "SENSITIVE");
  EXPECT_EQ(m->released_to(), (std::vector<std::string>{"AU", "NZ", "GB"}));
  EXPECT_FALSE(a.whole("VER=2018.1, NS=gov.au, ORIGIN=jane@agency.gov.au").has_value());
  EXPECT_FALSE(r.whole("VER=2018.1, NS=gov.au, SEC=PROTECTED").has_value());
}

TEST(PolicyMarking, LadderMatchesAnyCaseSpaceOrHyphen) {
  policy::Ladder l = policy::Ladder::of(nz());
  EXPECT_EQ(l.size(), 7u);
  EXPECT_EQ(l.rank("IN CONFIDENCE"), l.rank("IN-CONFIDENCE"));
  EXPECT_EQ(l.rank("in-confidence"), 1);
  EXPECT_EQ(l.rank("top  secret"), 6);
  EXPECT_EQ(l.rank("Top-Secret"), 6);
  EXPECT_EQ(l.rank("OFFICIAL"), -1);
  EXPECT_EQ(l.rank(""), -1);
  EXPECT_EQ(l.name(3), "RESTRICTED");
  // A configured ladder: its own names, its own order.
  policy::Ladder own({"PUBLIC", "INTERNAL", "STRICTLY CONFIDENTIAL"});
  EXPECT_EQ(own.rank("strictly-confidential"), 2);
  EXPECT_EQ(own.rank("RESTRICTED"), -1);
  config::MarkingsConfig c;
  c.ladder = {"PUBLIC", "INTERNAL"};
  MarkingReader r(c);
  EXPECT_TRUE(r.in_text("[RESTRICTED]").empty());
  EXPECT_EQ(r.in_text("[internal]").at(0).label(), "[INTERNAL]");
}

TEST(PolicyMarking, EyesOnlyAndReleasedTo) {
  MarkingReader r(nz());
  auto m = r.in_text("[SENSITIVE:COMMERCIAL, NZEO]").at(0);
  EXPECT_TRUE(m.eyes_only());
  EXPECT_TRUE(m.released_to().empty());
  m = r.in_text("[SECRET//REL TO NZL, AUS, CAN]").at(0);
  EXPECT_FALSE(m.eyes_only());
  EXPECT_EQ(m.released_to(), (std::vector<std::string>{"NZ", "AU", "CA"}));
  EXPECT_EQ(m.endorsements, (std::vector<std::string>{"REL TO NZL, AUS, CAN"}));
  // A code that is not alpha-3 after REL TO starts a new endorsement.
  m = r.in_text("[SECRET//REL TO NZL, MEDICAL]").at(0);
  EXPECT_EQ(m.endorsements, (std::vector<std::string>{"REL TO NZL", "MEDICAL"}));
  EXPECT_EQ(Marking{}.label(), "");
  EXPECT_FALSE(Marking{}.present());
}

TEST(PolicyMarking, HighestKeepsEveryEndorsement) {
  MarkingReader r(nz());
  std::vector<FoundMarking> found = {
      {"subject", r.in_text("[RESTRICTED]").at(0)},
      {"attachment a.txt", r.in_text("[SENSITIVE:NZEO]").at(0)},
      {"first body line", r.in_text("[RESTRICTED:MEDICAL//REL TO NZL, AUS]").at(0)},
      {"attachment b.txt", r.in_text("[IN-CONFIDENCE//REL TO NZL, GBR]").at(0)},
  };
  Marking top = policy::highest(found);
  EXPECT_EQ(top.level, "RESTRICTED");
  EXPECT_EQ(top.rank, 3);
  EXPECT_TRUE(top.eyes_only());
  // Two REL TO lists: only the countries both name.
  EXPECT_EQ(top.released_to(), (std::vector<std::string>{"NZ"}));
  EXPECT_FALSE(policy::highest({}).present());
}

TEST(PolicyMarking, Iso3166) {
  EXPECT_TRUE(policy::iso3166_alpha2("NZ"));
  EXPECT_TRUE(policy::iso3166_alpha2("AU"));
  EXPECT_TRUE(policy::iso3166_alpha2("ZW"));
  EXPECT_TRUE(policy::iso3166_alpha2("AX"));
  EXPECT_FALSE(policy::iso3166_alpha2("nz"));
  EXPECT_FALSE(policy::iso3166_alpha2("UK"));  // reserved, not assigned
  EXPECT_FALSE(policy::iso3166_alpha2("XX"));
  EXPECT_FALSE(policy::iso3166_alpha2("NZL"));
  EXPECT_EQ(policy::alpha2_of("NZL"), "NZ");
  EXPECT_EQ(policy::alpha2_of("AUS"), "AU");
  EXPECT_EQ(policy::alpha2_of("GBR"), "GB");
  EXPECT_EQ(policy::alpha2_of("USA"), "US");
  EXPECT_EQ(policy::alpha2_of("ABW"), "AW");
  EXPECT_EQ(policy::alpha2_of("ZWE"), "ZW");
  EXPECT_EQ(policy::alpha2_of("XYZ"), "");
  EXPECT_EQ(policy::alpha2_of("nzl"), "");
}
