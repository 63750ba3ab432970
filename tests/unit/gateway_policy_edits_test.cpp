// gateway_policy_edits_test.cpp - the header edits of the policy step:
// the personal tag and category, the signed marking field, the release
// copy; each keeps the body and every other field as it was.
#include <gtest/gtest.h>

#include "config/policy_config.h"
#include "gateway/policy_edits.h"

namespace sm::gateway {
namespace {

const std::string kMessage =
    "Received: from x by gw.a.example; Fri, 4 Dec 2026 09:00:00 +0000\r\n"
    "From: alice@a.example\r\n"
    "Subject: [RESTRICTED:MEDICAL] lab results\r\n"
    "SecureMail-Marking: UNCLASSIFIED\r\n"
    "X-Protective-Marking: RESTRICTED\r\n"
    "\r\n"
    "Subject: [SECRET] this body line is not a header\r\n"
    "SecureMail-Marking: stays in the body\r\n";

std::string body_of(const std::string& m) { return m.substr(m.find("\r\n\r\n") + 4); }

TEST(PolicyEdits, RemoveFieldTakesEveryCopyWithItsContinuationAndKeepsTheBody) {
  std::string folded = "From: a@a.example\r\nsecuremail-marking: RESTRICTED;\r\n endorsements=MEDICAL\r\n"
                       "To: b@b.example\r\nSecureMail-Marking: x\r\n\r\nSecureMail-Marking: body\r\n";
  EXPECT_EQ(remove_field(folded, "SecureMail-Marking"),
            "From: a@a.example\r\nTo: b@b.example\r\n\r\nSecureMail-Marking: body\r\n");
  EXPECT_EQ(remove_field(kMessage, "X-Nothing"), kMessage);
}

TEST(PolicyEdits, ReplaceFieldLeavesExactlyOneAndNoLineBreakFromTheValue) {
  std::string m = replace_field(kMessage, kMarkingField, "RESTRICTED; endorsements=MEDICAL\r\nBcc: evil@x");
  EXPECT_EQ(carried_marking(m), "RESTRICTED; endorsements=MEDICAL  Bcc: evil@x");
  EXPECT_EQ(m.find("SecureMail-Marking: UNCLASSIFIED"), std::string::npos);
  EXPECT_EQ(m.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(body_of(m), body_of(kMessage));
}

TEST(PolicyEdits, LineFeedMessagesKeepTheirLineEnds) {
  std::string m = replace_field("From: a@a.example\nSubject: hi\n\nbody\n", kCategoryField, "personal");
  EXPECT_EQ(m, "From: a@a.example\nSubject: hi\nSecureMail-Category: personal\n\nbody\n");
}

TEST(PolicyEdits, PersonalTagGoesBeforeTheSubjectOnceWithTheCategory) {
  std::string m = mark_personal("From: p@personal.example\r\nSubject: lunch?\r\nSecureMail-Category: official\r\n\r\nhi\r\n",
                                "[PERSONAL]");
  EXPECT_NE(m.find("Subject: [PERSONAL] lunch?\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("SecureMail-Category: personal\r\n"), std::string::npos) << m;
  EXPECT_EQ(m.find("official"), std::string::npos) << m;
  EXPECT_EQ(mark_personal(m, "[PERSONAL]"), m) << "tagged once";
  EXPECT_NE(tag_subject("From: p@x\r\n\r\nhi\r\n", "[PERSONAL]").find("Subject: [PERSONAL]\r\n"), std::string::npos);
}

TEST(PolicyEdits, MarkingValueIsCanonicalWhateverTheOrderOfEndorsements) {
  policy::Marking a{3, "RESTRICTED", {"NZEO", "MEDICAL"}};
  policy::Marking b{3, "RESTRICTED", {"MEDICAL", "NZEO", "MEDICAL"}};
  EXPECT_EQ(marking_field_value(a), "RESTRICTED; endorsements=MEDICAL, NZEO");
  EXPECT_EQ(marking_field_value(a), marking_field_value(b));
  EXPECT_EQ(marking_field_value(policy::Marking{2, "SENSITIVE", {}}), "SENSITIVE");
  EXPECT_EQ(marking_field_value(policy::Marking{}), "");
  EXPECT_EQ(carried_marking("From: a@a.example\r\n\r\nSecureMail-Marking: body\r\n"), std::nullopt);
}

TEST(PolicyEdits, ReleaseCopyLosesTheMarkingsButNotOtherBrackets) {
  policy::MarkingReader reader{config::MarkingsConfig{}};
  std::string m = without_marking(
      "From: a@a.example\r\nSubject: [IN-CONFIDENCE] [ticket 42] your claim\r\nX-Protective-Marking: IN-CONFIDENCE\r\n"
      "SecureMail-Marking: IN-CONFIDENCE\r\n\r\n[IN-CONFIDENCE]\r\nbody\r\n",
      reader, "X-Protective-Marking");
  EXPECT_NE(m.find("Subject: [ticket 42] your claim\r\n"), std::string::npos) << m;
  EXPECT_EQ(m.find("X-Protective-Marking"), std::string::npos) << m;
  EXPECT_EQ(m.find("SecureMail-Marking"), std::string::npos) << m;
  EXPECT_NE(m.find("\r\n\r\n[IN-CONFIDENCE]\r\nbody"), std::string::npos) << "the body is never rewritten";
}

TEST(PolicyEdits, ClientClaimsNeverTravelAsOurs) {
  const std::string m =
      "From: a@a.example\r\nSecureMail-Sender-Assurance: auth=totp; strong=yes\r\nsecuremail-marking: RESTRICTED\r\n"
      "SecureMail-Category: official\r\nSubject: s\r\n\r\nSecureMail-Sender-Assurance: in the body\r\n";
  std::string relayed = without_client_claims(m, false);
  EXPECT_EQ(relayed, "From: a@a.example\r\nSubject: s\r\n\r\nSecureMail-Sender-Assurance: in the body\r\n");
  // Submission's sink already replaced the assurance with ours; it stays.
  std::string submitted = without_client_claims(m, true);
  EXPECT_NE(submitted.find("SecureMail-Sender-Assurance: auth=totp"), std::string::npos) << submitted;
  EXPECT_EQ(submitted.find("marking"), std::string::npos) << submitted;
}

}  // namespace
}  // namespace sm::gateway
