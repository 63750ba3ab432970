// local_mail.h - mail the gateway writes itself (delivery status
// notifications, directory notices): queued with the null sender, so
// nothing ever answers it, and delivered by the normal path. Also reading
// back the start of a queued message such mail is about.
#pragma once

#include <functional>
#include <string>

#include "queue/spool.h"

namespace sm::gateway {

struct LocalMessage {
  std::string source;     // Envelope::listener: "bounce", "directory"
  std::string recipient;
  std::string text;       // the whole message, CRLF line ends
  std::int64_t arrival = 0;  // 0: now
  bool body_8bit = false;
  // The envelope sender; "": the null sender (nothing answers it). Only
  // the test agent's triggered mail has one: its own address, so the
  // notifications about it come back to the agent (test_agent.h).
  std::string sender;
  // Ask the member it is sealed for for a signed receipt (own mail only,
  // with a receipt ledger; own_mail.h). Only the test agent's triggered
  // mail asks (INT-RCPT-OUT, OPS-RCPT-WITHHELD).
  bool ask_receipt = false;
};

// Up to `limit` octets of a queued message (its start), never past its
// end; "" when it cannot be read. Works after the message was removed
// (the segment stays open while `m` holds it).
std::string read_queued(const queue::QueuedMessage& m, std::size_t limit);

// The envelope of such a message: from its sender (<> unless set), to its one recipient.
mail::Envelope local_envelope(const LocalMessage& message);

// Write it without committing: the caller commits it with whatever it
// belongs to (a receipt's report, before the 250 for the receipt).
Result<std::unique_ptr<queue::SpoolWriter>> write_local_message(queue::Spool& spool, const LocalMessage& message);

// Write and commit asynchronously. done runs on the queue's committer
// thread with the queue id or the error (the caller logs and schedules).
// Returns the queue id, or "" when the message could not even be written
// (nothing is queued, and done is not called).
std::string queue_local_message(queue::Spool& spool, const LocalMessage& message,
                         std::function<void(Result<std::string>)> done);

}  // namespace sm::gateway
