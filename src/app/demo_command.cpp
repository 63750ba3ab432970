// demo_command.cpp - `securemail demo [--dir DIR] [--keep]`.
//
// Builds a testnet for a.example and b.example (free ports), starts both
// gateways as child processes of this binary, sends one message from
// alice@a.example to bob@b.example to a's relay listener, waits for it in
// b's Maildir, and prints the eight steps with the log line of a or b that
// proves each (demo_steps.cpp), then the delivered message with its
// Authentication-Results marked. Exit 0 only when every step is in the logs
// and the delivered message says smime=pass; 1 otherwise, naming what is
// missing and the log files.
//
// The gateways are always stopped (SIGTERM, SIGKILL after 10 s), also on
// errors and Ctrl-C. Without --dir the network lives in a new folder under
// $TMPDIR, removed at the end unless --keep or the demo failed.
#include "app/demo_command.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "app/cli_support.h"
#include "app/demo_parts.h"
#include "app/testnet_command.h"
#include "delivery/maildir.h"
#include "pki/key.h"

namespace sm::app {
namespace {

namespace fs = std::filesystem;
using namespace demo;

constexpr auto kReadyTimeout = std::chrono::seconds(30);
constexpr auto kDeliveryTimeout = std::chrono::seconds(30);
constexpr auto kLogTimeout = std::chrono::seconds(5);  // for the last log lines after the Maildir file
constexpr const char* kWhat = "demo";

struct DemoArgs {
  std::string dir;
  bool keep = false;
};

// std::cout and std::cerr into one string while it lives (testnet's own summary).
class Captured {
 public:
  Captured() : out_(std::cout.rdbuf(text_.rdbuf())), err_(std::cerr.rdbuf(text_.rdbuf())) {}
  ~Captured() {
    std::cout.rdbuf(out_);
    std::cerr.rdbuf(err_);
  }
  std::string str() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::streambuf* out_;
  std::streambuf* err_;
};

std::string read_text(const fs::path& file) {
  auto t = pki::read_file(file, 64 << 20);
  return t ? *t : std::string();
}

// The steps from both logs; after delivery, polled until all are there
// (the last lines may be written just after the Maildir file).
std::vector<StepEvidence> collect_steps(const GatewayChild& a, const GatewayChild& b, const std::string& id,
                                        bool wait) {
  auto deadline = std::chrono::steady_clock::now() + kLogTimeout;
  while (true) {
    auto steps = find_steps(read_text(a.log()), read_text(b.log()), id);
    if (!wait || all_found(steps) || interrupted() || std::chrono::steady_clock::now() > deadline) return steps;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void print_steps(const std::vector<StepEvidence>& steps, const GatewayChild& a, const GatewayChild& b) {
  std::cout << "\n";
  int n = 0;
  const std::string* previous = nullptr;
  const std::string indent(20, ' ');
  for (const auto& s : steps) {
    const auto& g = s.side == Side::sender ? a : b;
    std::string name = std::to_string(++n) + ". " + s.step;
    std::cout << "  " << name << std::string(name.size() < 18 ? 18 - name.size() : 1, ' ') << s.meaning << "\n";
    if (!s.line)
      std::cout << indent << "MISSING: no line in " << g.log().string() << " matches " << s.pattern << "\n";
    else if (previous && *previous == *s.line)
      std::cout << indent << g.domain() << " | (the same line)\n";
    else
      std::cout << indent << g.domain() << " | " << *s.line << "\n";
    previous = s.line ? &*s.line : nullptr;
  }
}

bool said_pass(const std::vector<std::string>& auth_results) {
  for (const auto& v : auth_results)
    if (v.find("smime=pass") != std::string::npos) return true;
  return false;
}

// The testnet for a.example and b.example on free ports; its own summary
// goes to DIR/testnet.log (or to stderr when it fails).
int build_network(const fs::path& dir, Testnet& net) {
  TestnetArgs ta;
  ta.dir = dir.string();
  ta.domains = "a.example,b.example";
  ta.base_port = 0;
  int rc;
  std::string text;
  {
    Captured captured;
    rc = build_testnet(ta, &net);
    text = captured.str();
  }
  if (rc != 0) {
    std::cerr << text;
    return rc;
  }
  (void)pki::write_file_atomic(dir / "testnet.log", text);
  return 0;
}

// Start every gateway, then wait until each is ready and its directory
// lists the other; returns a's relay listener.
Result<config::Endpoint> start_gateways(const Testnet& net, std::vector<std::unique_ptr<GatewayChild>>& gateways) {
  for (const auto& node : net.gateways) {
    auto cfg = config::load_file(node.config());
    if (!cfg) return local_error(cfg.error());
    gateways.push_back(std::make_unique<GatewayChild>(node.domain, node.config(), cfg->data_dir,
                                                      node.data / "gateway.log"));
    if (auto r = gateways.back()->start(); !r) return std::unexpected(r.error());
  }
  std::optional<config::Endpoint> relay;
  for (std::size_t i = 0; i < gateways.size(); ++i) {
    auto& g = *gateways[i];
    auto listeners = g.wait_ready(kReadyTimeout);
    if (!listeners) return std::unexpected(listeners.error());
    auto at = listener_of(*listeners, "relay");
    auto in = listener_of(*listeners, "inbound");
    auto admin = listener_of(*listeners, "admin");
    for (const auto* r : {&at, &in, &admin})
      if (!*r) return local_error(r->error().text + " (" + g.domain() + ")");
    const std::string& peer = gateways[1 - i]->domain();
    auto member = g.wait_member(*admin, peer, kReadyTimeout);
    if (!member) return std::unexpected(member.error());
    if (!relay) relay = *at;
    std::cout << "  " << g.domain() << "  relay " << at->str() << ", inbound " << in->str() << "; its directory lists "
              << peer << " as member " << *member << "\n"
              << "             log " << g.log().string() << "\n";
  }
  return *relay;
}

// Exit 0 when it all happened; else say what is missing (exit 1).
int verdict(const Result<fs::path>& delivered, bool pass, const std::vector<StepEvidence>& steps,
            const GatewayChild& a, const GatewayChild& b) {
  if (delivered && pass && all_found(steps)) {
    std::cout << "\nsmime=pass: signed by a's gateway, verified by b's, delivered to bob.\n" << std::flush;
    return 0;
  }
  if (interrupted()) return failed(kWhat, "interrupted; the gateways are stopped");
  std::string missing;
  if (!delivered) missing = delivered.error().text;
  else if (!pass) missing = "the delivered message carries no Authentication-Results with smime=pass";
  std::string steps_missing;
  for (const auto& s : steps)
    if (!s.line) steps_missing += (steps_missing.empty() ? "" : ", ") + s.step;
  if (!steps_missing.empty()) missing += (missing.empty() ? "" : "; ") + std::string("no log line for ") + steps_missing;
  return failed(kWhat, missing + " (logs: " + a.log().string() + ", " + b.log().string() + ")");
}

int demo_in(const fs::path& dir) {
  Testnet net;
  if (int rc = build_network(dir, net); rc != 0) return rc;
  std::cout << "securemail demo: one message from alice@a.example to bob@b.example, through two gateways on loopback\n\n"
            << "  testnet    " << net.dir.string() << " (authority, signed directory, gateways a.example and b.example)\n";
  std::vector<std::unique_ptr<GatewayChild>> gateways;  // stopped when this returns, whatever happens
  auto relay = start_gateways(net, gateways);
  if (!relay) return failed(kWhat, relay.error().text);
  GatewayChild& a = *gateways[0];
  GatewayChild& b = *gateways[1];

  DemoMail mail;
  fs::path message = dir / "message.eml";
  auto message_id = write_message(message, mail);
  if (!message_id) return failed(kWhat, message_id.error().text);
  auto reply = send_message(*relay, message, mail);
  if (!reply) return failed(kWhat, "a's relay listener refused the message: " + reply.error().reply());
  std::cout << "  sent       " << *message_id << " to a's relay listener " << relay->str() << ": " << *reply << "\n";

  auto folder = delivery::maildir_folder_name(mail.to);
  fs::path new_dir = b.data() / "maildir" / (folder ? *folder : "bob") / "new";
  auto delivered = wait_for_delivery(new_dir, kDeliveryTimeout, {&a, &b});
  auto steps = collect_steps(a, b, queue_id_of(*reply), delivered.has_value());
  print_steps(steps, a, b);
  bool pass = false;
  if (delivered) {
    std::cout << "\nThe message as delivered to bob (" << delivered->string() << "):\n\n";
    bool colour = ::isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
    pass = said_pass(show_message(*delivered, std::cout, colour));
  }
  std::cout << std::flush;
  std::string a_end = a.stop(), b_end = b.stop();
  std::cout << "\n  gateways stopped (a.example: " << a_end << ", b.example: " << b_end << ")\n";
  return verdict(delivered, pass, steps, a, b);
}

// The folder: --dir as given (must be new or empty; testnet checks), or a new one under $TMPDIR.
Result<fs::path> workspace(const DemoArgs& a) {
  if (!a.dir.empty()) return fs::absolute(a.dir).lexically_normal();
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = (fs::path(tmp && *tmp ? tmp : "/tmp") / "securemail-demo-XXXXXX").string();
  if (!::mkdtemp(templ.data())) return local_error("cannot make a folder " + templ + ": " + std::strerror(errno));
  return fs::path(templ);
}

int run_demo(const DemoArgs& a) {
  auto dir = workspace(a);
  if (!dir) return failed(kWhat, dir.error().text);
  int rc;
  {
    InterruptGuard guard;
    rc = demo_in(*dir);
  }
  std::error_code ec;
  if (!fs::exists(*dir / "authority", ec)) {
    if (a.dir.empty()) fs::remove_all(*dir, ec);  // nothing built: nothing to look at
  } else if (!a.dir.empty() || a.keep || rc != 0) {
    std::cout << "\nThe network stays in " << dir->string() << " (gateway logs in <domain>/gateway.log).\n";
  } else {
    fs::remove_all(*dir, ec);
  }
  return rc;
}

}  // namespace

void add_demo_command(CLI::App& app, std::function<int()>& action) {
  auto a = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand("demo",
                                 "Show sealed mail crossing between two gateways: a testnet for a.example and "
                                 "b.example on loopback, one message from alice to bob, each step with its log line");
  cmd->add_option("--dir", a->dir, "Build the network here (new or empty folder; kept). Default: a new folder "
                                   "under $TMPDIR, removed at the end");
  cmd->add_flag("--keep", a->keep, "Keep the network folder (and logs) after the demo");
  cmd->callback([&action, a] { action = [a] { return run_demo(*a); }; });
}

}  // namespace sm::app
