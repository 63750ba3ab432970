// demo_parts.h - the pieces `securemail demo` (demo_command.cpp) runs in
// order: gateway child processes (demo_gateway.cpp), the message sent and
// the message delivered (demo_message.cpp), and the steps proven from the
// gateways' logs (demo_steps.cpp).
//
// Nothing here may leave a gateway running: GatewayChild stops its process
// when it goes out of scope, and the children die with the demo
// (PR_SET_PDEATHSIG) even when the demo itself is killed.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "util/error.h"

namespace sm::app::demo {

namespace fs = std::filesystem;

// ---- Ctrl-C ---------------------------------------------------------------
// While an InterruptGuard lives, SIGINT and SIGTERM only set a flag that
// every wait of the demo polls, so the demo can stop its gateways and exit.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};
bool interrupted();

// ---- gateways -------------------------------------------------------------
// `securemail run --config CONFIG` (this very binary) as a child process in
// its own process group, stdout and stderr appended to `log`.
class GatewayChild {
 public:
  GatewayChild(std::string domain, fs::path config, fs::path data, fs::path log);
  ~GatewayChild();  // stop()
  GatewayChild(const GatewayChild&) = delete;
  GatewayChild& operator=(const GatewayChild&) = delete;

  Result<> start();
  // Wait until DATA/run/listeners.json is written (the gateway is ready) and
  // return it. Errors name the log file: the child exited, the time-out
  // passed, or the user pressed Ctrl-C.
  Result<nlohmann::json> wait_ready(std::chrono::seconds timeout);
  // Wait until the gateway's directory (asked through its admin listener,
  // GET /v1/directory/lookup) lists `domain`; returns the member's id.
  // Until then a freshly started gateway knows no members and would send
  // the demo's message as ordinary mail.
  Result<std::string> wait_member(const config::Endpoint& admin, const std::string& domain,
                                  std::chrono::seconds timeout);
  // Still running? (Reaps the child when it has exited.)
  bool running();
  // SIGTERM, SIGKILL after `grace`; "exit 0", "signal 9", ... ("" if never started).
  std::string stop(std::chrono::seconds grace = std::chrono::seconds(10));

  const std::string& domain() const { return domain_; }
  const fs::path& log() const { return log_; }
  const fs::path& data() const { return data_; }
  std::string status() const;  // how it ended, once it has

 private:
  std::string domain_;
  fs::path config_, data_, log_;
  pid_t pid_ = -1;
  int wait_status_ = -1;  // set once reaped
};

// A listener address from listeners.json ("relay" -> 127.0.0.1:PORT).
Result<config::Endpoint> listener_of(const nlohmann::json& listeners, const std::string& name);

// ---- the message ----------------------------------------------------------
struct DemoMail {
  std::string from = "alice@a.example";
  std::string to = "bob@b.example";
  std::string subject = "SecureMail demo";
};

// Write the message (RFC 5322, CRLF, with Date and Message-ID) to `file`;
// returns its Message-ID.
Result<std::string> write_message(const fs::path& file, const DemoMail& mail);
// Hand it to a relay listener with a real SMTP dialogue (delivery::SmtpClient);
// returns the 250 reply ("250 2.0.0 Ok: queued as ID").
Result<std::string> send_message(const config::Endpoint& relay, const fs::path& file, const DemoMail& mail);
// "... queued as ID" -> "ID"; empty when the reply names no queue id.
std::string queue_id_of(std::string_view reply);

// The first file that appears in `new_dir`, polled until `timeout`; stops
// early (with the reason) when a gateway stops running or on Ctrl-C.
Result<fs::path> wait_for_delivery(const fs::path& new_dir, std::chrono::seconds timeout,
                                   std::vector<GatewayChild*> gateways);

// Print the delivered message: its header block with every
// Authentication-Results field marked, then the body. Returns the
// Authentication-Results field values.
std::vector<std::string> show_message(const fs::path& file, std::ostream& out, bool colour);

// ---- the steps ------------------------------------------------------------
enum class Side { sender, receiver };  // gateway a, gateway b

struct StepEvidence {
  std::string step;     // "looked up"
  std::string meaning;  // what it means, one line
  Side side = Side::sender;
  std::optional<std::string> line;  // the log line that shows it (prefix stripped); none: missing
  std::string pattern;              // what was looked for (for the missing report)
};

// Find each step's log line. `sender_id`: the queue id gateway a answered
// with; further ids are learned from the lines themselves.
std::vector<StepEvidence> find_steps(const std::string& sender_log, const std::string& receiver_log,
                                     const std::string& sender_id);
bool all_found(const std::vector<StepEvidence>& steps);

}  // namespace sm::app::demo
