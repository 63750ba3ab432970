// policy_edits.h - what the policy step changes in a message's header on
// its way through the gateway (issue 15), as plain text edits that keep
// every other octet as it was:
//  - personal mail: the [personal] tag before the Subject and
//    "SecureMail-Category: personal" (any incoming copy removed first);
//  - sealed mail: "SecureMail-Marking: RESTRICTED; endorsements=MEDICAL",
//    the effective marking, inside the signed content (any copy a sender
//    wrote removed first), so a changed marking is detected on the other
//    side;
//  - a release copy (a recipient with a release flag): the bracketed
//    markings taken out of the Subject, the marking header and
//    SecureMail-Marking removed.
// The edits work on the raw header block (up to the first empty line);
// a field's continuation lines go with it. They never touch the body.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "policy/marking.h"

namespace sm::gateway {

inline constexpr std::string_view kMarkingField = "SecureMail-Marking";
inline constexpr std::string_view kCategoryField = "SecureMail-Category";

// The message without any field of this name (case-insensitive).
std::string remove_field(std::string_view message, std::string_view name);
// The message without the fields that only this gateway may state inside
// its signature (marking, category, and the sender assurance unless the
// sender signed in through submission, whose sink already put ours there):
// whatever a client wrote in them never travels signed as our claim.
std::string without_client_claims(std::string_view message, bool signed_in);
// The message with exactly one such field, added at the end of the header.
// value is made one line (controls become spaces).
std::string replace_field(std::string_view message, std::string_view name, std::string_view value);
// The Subject with tag before it (not twice); a message without a Subject
// gets one that is the tag alone.
std::string tag_subject(std::string_view message, std::string_view tag);
// The message tagged personal (tag and the category field).
std::string mark_personal(std::string_view message, std::string_view tag);

// The SecureMail-Marking value for a marking: "RESTRICTED" or
// "RESTRICTED; endorsements=MEDICAL, NZEO" (endorsements sorted, so two
// readings of one content compare equal); "" when absent.
std::string marking_field_value(const policy::Marking& marking);
// The SecureMail-Marking value a message carries (unfolded, trimmed), or
// nullopt when it has none.
std::optional<std::string> carried_marking(std::string_view message);

// The release copy: bracketed markings out of the Subject, the marking
// header (header_name, may be "") and SecureMail-Marking removed.
std::string without_marking(std::string_view message, const policy::MarkingReader& reader,
                            std::string_view header_name);

}  // namespace sm::gateway
