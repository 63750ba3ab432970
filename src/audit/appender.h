// appender.h - security events from the running gateway into the audit
// trail without slowing mail down: record() only queues (bounded; when the
// queue is full the event is dropped and counted in
// securemail_audit_dropped_total, never waited for), and one thread writes
// the queue in batches, one transaction each. The same thread prunes the
// trail by [audit] retention at start and daily.
//
// Flood control: the first of identical events (same action, client,
// object and details) is written at once; repeats within the fold window
// are counted and written as one entry with "repeated": N when the window
// closes (or at shutdown).
//
// install() makes an appender the process's: audit::record() anywhere in the
// gateway goes to it, and is a no-op when none is installed (commands, tests).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "audit/audit.h"

namespace sm::audit {

// One security event. Never a message body or Subject.
struct Event {
  std::string action;   // "mail.forged", "auth.signin.failed", ...
  std::string object;   // what it is about: an account, a client, a domain
  std::string client;   // peer IP; "" when none
  std::vector<std::pair<std::string, std::string>> details;  // json_object() fields
};

class Appender {
 public:
  struct Options {
    std::size_t capacity = 10000;                 // queued events before dropping
    std::chrono::milliseconds fold_window{60000};
    std::chrono::seconds retention{400 * 86400};  // 0: keep forever
    std::chrono::seconds prune_every{86400};
  };
  Appender(std::shared_ptr<AuditTrail> trail, Options options);
  ~Appender();  // stop()
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  // Queues the event; false when the queue is full (dropped and counted).
  bool record(Event event);
  // Returns once everything queued so far is written (folded repeats stay
  // pending until their window closes).
  void flush();
  // Writes what is queued and every pending fold, then ends the thread.
  void stop();
  std::int64_t dropped() const;

 private:
  struct State;
  void run();
  std::shared_ptr<AuditTrail> trail_;
  Options options_;
  std::unique_ptr<State> state_;
};

// The process's appender (the gateway installs its own; nullptr removes it).
void install(Appender* appender);
// Records through the installed appender; nothing when none is.
void record(Event event);

}  // namespace sm::audit
