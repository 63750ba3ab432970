// policy_config.h - the configuration of the policy engine (issue 15):
// protective markings, trigger words, sovereignty, personal use, the
// per-recipient rules, journaling, interception officers and the privacy
// of operational logs. Part of Config (config.h); read by
// config/markings_section.cpp, policy_rules_section.cpp, log_section.cpp.
//
// The defaults are the safe ones the issue asks for: the New Zealand
// classification ladder, SENSITIVE and RESTRICTED only sealed to a member
// accredited for them, nothing above RESTRICTED over the Internet, sealed
// mail only to gateways in New Zealand.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sm::config {

// What a policy rule decides for one recipient.
enum class PolicyDecision { seal, plain, pickup, hold, return_, refuse };

// [markings]: protective markings (NZISM 15.1/15.2, the New Zealand
// Government Security Classification System).
struct MarkingsConfig {
  // The classification ladder, lowest first; names upper-case with single
  // spaces ("TOP SECRET"); "IN CONFIDENCE" and "IN-CONFIDENCE" are one name
  // (a space and a hyphen are read alike when matching).
  std::vector<std::string> ladder = {"UNCLASSIFIED", "IN-CONFIDENCE", "SENSITIVE",  "RESTRICTED",
                                     "CONFIDENTIAL", "SECRET",        "TOP SECRET"};
  // Also read the Australian formats: "[SEC=OFFICIAL:Sensitive, CAVEAT=...]"
  // in the subject and the X-Protective-Marking header
  // ("VER=2018.1, NS=gov.au, SEC=..., CAVEAT=..., ORIGIN=...").
  bool australian = false;
  // A header field the marking is also read from (its value is one marking,
  // in the subject syntax with or without brackets). "" : none.
  std::string header = "X-Protective-Marking";
  // The highest marking this gateway is accredited to receive and hold:
  // inbound mail above it is rejected (550 5.7.1), logged, reported to the
  // administrator, and the recipient told (without the content).
  std::string accreditation = "RESTRICTED";
  // The highest marking that may leave unsealed (to a non-member, or a
  // member reached plain by an explicit rule).
  std::string plain_max = "IN-CONFIDENCE";
  // The highest marking that may cross the Internet at all, sealed or not.
  // Above it: refused, whatever the recipient.
  std::string internet_max = "RESTRICTED";
  // A member whose directory entry names no max_marking is approved up to this.
  std::string member_default = "IN-CONFIDENCE";
  // Unmarked outbound mail: pass as it is, tag (unmarked_tag before the
  // Subject), or refuse (550 5.7.1 asking the sender to mark it).
  enum class Unmarked { pass, tag, refuse };
  Unmarked unmarked = Unmarked::pass;
  std::string unmarked_tag = "[UNMARKED]";
  // Address patterns of distribution lists: NZEO and REL TO mail is never
  // sent to them.
  std::vector<std::string> distribution_lists;
  // Recipient patterns (citizens, businesses) with a release flag: their
  // copy has the markings taken out of the Subject and the marking header.
  // For no other recipient is a marking ever stripped.
  std::vector<std::string> release;
};

// [[trigger]]: a word that limits who may receive a message. Found in the
// subject, the body or text attachments, any case, with or without brackets.
struct TriggerWord {
  std::string word;  // upper-case, without brackets: "SEEMAIL"
  // members: member organisations only; trusted: members or trusted
  // partners; accredited: members or partners accredited at `level` or
  // above; participants: any member, partner, local recipient or
  // [markings] release recipient.
  enum class Allow { members, trusted, accredited, participants };
  Allow allow = Allow::members;
  std::string level;  // accredited: a marking on the ladder
  std::uint32_t line = 0;
};
// The earlier programme's defaults, used when no [[trigger]] is given:
// SEEMAIL members, TRUSTED trusted, SENSITIVE and RESTRICTED accredited
// at that level, IN-CONFIDENCE participants.
std::vector<TriggerWord> default_triggers();

// [sovereignty]: where mail may be stored and routed.
struct SovereigntyConfig {
  std::vector<std::string> approved = {"NZ"};  // ISO 3166-1 alpha-2, upper-case
  // Where DATA lives (declared by the operator; warned about when not approved).
  std::string data = "NZ";
  // Declared jurisdiction of [routes] targets, keyed like [routes]
  // ("default" or a domain). An undeclared route is not checked.
  std::map<std::string, std::string> routes;
  // Plain mail marked at least this is refused on a route declared outside
  // the approved jurisdictions ("" : plain mail is never checked). Sealed
  // mail goes only to members in approved jurisdictions, always.
  std::string from_marking = "IN-CONFIDENCE";
};

// [personal]: personal use of official mail.
struct PersonalConfig {
  std::vector<std::string> senders;  // address patterns, e.g. "*@personaluse.agency.govt.nz"
  std::string tag = "[PERSONAL]";    // put before the Subject; header SecureMail-Category: personal
};

// The conditions of a rule: every condition given must hold (an absent
// or empty one holds for any message).
struct PolicyConditions {
  std::string direction;                    // "", "outbound", "inbound"
  std::vector<std::string> from, to;        // address patterns: "*", "*@domain", "*@.domain" (subdomains), exact
  std::optional<bool> member;               // the recipient is a member (any tier)
  std::vector<std::string> member_ids;      // the recipient's member id
  std::string marking_min, marking_max;     // the effective marking within these (inclusive, ladder names)
  std::optional<bool> marked;               // any marking found at all
  std::vector<std::string> triggers;        // any of these trigger words found
  std::optional<bool> strong;               // sender signed in strongly (submission)
  std::optional<bool> authenticated;        // sender signed in at all (submission)
  std::vector<std::string> jurisdictions;   // the destination's (member's, or declared route's) jurisdiction is one of these
  std::uint64_t size_over = 0;              // message larger than this (octets)
  std::vector<std::string> attachment_types;  // media types ("application/zip", "image/*") or names ("*.exe")
  std::optional<bool> personal;             // sender in [personal] senders
  bool needs_content() const;               // true when only the DATA can tell (marking, trigger, size, attachments)
};

// [[policy.rule]]: the first rule whose conditions hold decides.
struct PolicyRule {
  std::string name;
  PolicyConditions when;
  PolicyDecision decision = PolicyDecision::plain;
  std::string reason;  // shown in the refusal or DSN; default names the rule
  // Decision pickup only: the notification also carries the message as a
  // password-protected PDF (docs/pickup.md), for recipients who cannot use
  // the pages.
  bool pickup_pdf = false;
  std::uint32_t line = 0;
};

// [journal]: copies of chosen traffic, sealed to the archive's certificate.
struct JournalConfig {
  std::string address;                    // records archive address; "" : journaling off
  std::filesystem::path certificate;      // PEM, absolute
  // [[journal.rule]]: a message is journaled once when any rule holds.
  // Personal mail is journaled only by a rule that says personal = true.
  struct Rule {
    std::string name;
    PolicyConditions when;
    std::uint32_t line = 0;
  };
  std::vector<Rule> rules;
};

// [intercept]: who may enter lawful interception orders (accounts that
// must sign in with password and one-time code to do it).
struct InterceptConfig {
  std::vector<std::string> officers;
};

// [log]: the privacy of operational logs (Privacy Act 2020 principles 1,
// 4 and 9: collect what is needed, keep it no longer than needed).
struct LogPrivacy {
  // hashed: every <local@domain> in a log line is written <h:HEX@domain>,
  // HEX a keyed hash (the key in DATA/log.key), so one address can still
  // be followed through the log without being named.
  enum class Addresses { plain, hashed };
  Addresses addresses = Addresses::plain;
  bool subjects = false;             // log Subject fields (never bodies)
  std::filesystem::path file;        // also write the log here, one file per day; "" : stderr only
  std::chrono::seconds retention{30 * 86400};  // daily files older than this are deleted
  std::string syslog;                // also to this local syslog socket, e.g. "/dev/log"; "" : not
  std::string syslog_facility = "mail";
};

// [audit]: the audit trail's retention and how it writes addresses
// (docs/audit.md).
struct AuditConfig {
  std::chrono::seconds retention{400 * 86400};  // entries older are pruned; 0: kept forever
  std::optional<LogPrivacy::Addresses> addresses;  // unset: as [log] addresses
};

}  // namespace sm::config
