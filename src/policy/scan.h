// scan.h - what the policy needs to know about one message, read once:
// the envelope side (sender, listener, sign-in) and, once DATA is in, the
// content side: the effective protective marking (the highest found in the
// Subject, the first body line, the marking header and every text part and
// text attachment, nested messages included), the trigger words, the
// attachments' media types and names, the threads it answers, and whether
// it is personal.
//
// The MIME tree is walked with GMime (shared/DESIGN.md section 5): decoded
// transfer encodings and charsets, message/rfc822 parts descended into. A
// forwarded or quoted message's marking counts, so a reply or forward can
// never carry a lower marking than what it contains.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "policy/marking.h"
#include "util/error.h"

namespace sm::policy {

struct MessageFacts {
  // Envelope side (known at RCPT).
  bool outbound = true;        // relay or submission; false: inbound
  std::string listener;        // "relay", "submission", "submissions", "inbound"
  std::string sender;          // envelope sender
  bool authenticated = false;  // submission sign-in
  bool strong = false;         // ... with a one-time code or a strong device
  bool personal = false;       // sender (or From:) in [personal] senders
  // Content side (after DATA); content_known false at RCPT.
  bool content_known = false;
  std::uint64_t size = 0;
  std::string from;                    // the From: address
  Marking marking;                     // the effective (highest) marking
  std::vector<FoundMarking> markings;  // every one found, for the explanation
  std::vector<std::string> triggers;   // trigger words found (canonical, upper-case)
  std::vector<std::string> attachment_types;  // lower-case media types of attachments
  std::vector<std::string> attachment_names;  // lower-case file names
  std::vector<std::string> references;        // Message-IDs of In-Reply-To and References
  bool auto_submitted = false;         // Auto-Submitted other than "no" (auto-replies, auto-forwards)
};

class Scanner {
 public:
  explicit Scanner(const config::Config& config);
  // Fill the content side of facts from the complete message. A message
  // GMime cannot parse at all is an error 554 5.6.0; parts it cannot
  // decode are scanned as they are (never skipped).
  Result<void> scan(std::string_view message, MessageFacts& facts) const;
  // Trigger words in one piece of text (subject, body, attachment).
  std::vector<std::string> triggers_in(std::string_view text) const;
  const MarkingReader& markings() const { return reader_; }

 private:
  const config::Config& config_;
  MarkingReader reader_;
};

}  // namespace sm::policy
