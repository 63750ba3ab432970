// policy_command.cpp - `securemail policy test` (see policy_command.h).
//
//   securemail policy test --config F --from ADDR --to ADDR [--to ADDR2 ...]
//       [--subject S] [--header "Name: value" ...] [--body-file F | --message FILE]
//       [--listener relay|submission|inbound] [--strong] [--json]
//
// One line per recipient, the explanation indented under it:
//   <bob@b.example>  seal  rule=default  (member b-example)
//     default: member b-example: seal
// --json: an array of {recipient, decision, rule, reason, explanation, member}.
#include "app/policy_command.h"

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_support.h"
#include "app/load_config.h"
#include "gateway/directory_service.h"
#include "mail/envelope.h"
#include "policy/engine.h"
#include "util/text.h"

namespace sm::app {
namespace {

const char* kWhat = "policy test";

struct PolicyArgs {
  std::string config_file;
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::vector<std::string> headers;
  std::string body_file;
  std::string message_file;
  std::string listener = "relay";
  bool strong = false;
  bool json = false;
};

// local@domain, the domain a host name; why not otherwise.
std::optional<std::string> address_problem(const std::string& a) {
  auto at = a.rfind('@');
  if (at == std::string::npos || at == 0) return "\"" + a + "\" is not an address (local@domain)";
  if (a.find_first_of(" <>\t\r\n") != std::string::npos) return "\"" + a + "\": write the bare address, without <> or spaces";
  if (!config::is_hostname(a.substr(at + 1))) return "\"" + a + "\": \"" + a.substr(at + 1) + "\" is not a domain name";
  return std::nullopt;
}

std::optional<std::string> header_problem(const std::string& h) {
  auto colon = h.find(':');
  if (colon == std::string::npos || colon == 0) return "--header \"" + h + "\": write it as \"Name: value\"";
  for (char c : h.substr(0, colon))
    if (c <= ' ' || c > '~') return "--header \"" + h + "\": the field name has a space or a control character";
  if (h.find_first_of("\r\n") != std::string::npos) return "--header \"" + h + "\": one line only";
  return std::nullopt;
}

// The message as a mail client would hand it over.
std::string build_message(const PolicyArgs& a, const std::string& body) {
  std::string m = "From: <" + a.from + ">\r\nTo: ";
  for (std::size_t i = 0; i < a.to.size(); ++i) m += (i ? ", <" : "<") + a.to[i] + ">";
  m += "\r\nSubject: " + a.subject + "\r\nMessage-ID: <policy-test@securemail.invalid>\r\n";
  for (const auto& h : a.headers) m += h + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  bool typed = std::any_of(a.headers.begin(), a.headers.end(),
                           [](const std::string& h) { return ascii_lower(h).starts_with("content-type:"); });
  if (!typed) m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "\r\n";
  for (char c : body) {
    if (c == '\n' && !m.ends_with("\r")) m += '\r';
    m += c;
  }
  return m;
}

// The declared jurisdiction of the route plain mail to this domain takes
// ([sovereignty] routes: the domain's own, else "default"; "" undeclared).
std::string route_jurisdiction(const config::Config& c, const std::string& domain) {
  if (auto it = c.sovereignty.routes.find(domain); it != c.sovereignty.routes.end()) return it->second;
  if (auto it = c.sovereignty.routes.find("default"); it != c.sovereignty.routes.end()) return it->second;
  return "";
}

std::string who(const policy::RecipientFacts& r) {
  if (r.local) return "local";
  if (!r.member) return "not a member";
  return "member " + r.member->id + (r.member->status == directory::Status::suspended ? ", suspended" : "");
}

int run(const PolicyArgs& a) {
  if (auto p = address_problem(a.from)) return bad_usage(kWhat, "--from " + *p);
  for (const auto& t : a.to)
    if (auto p = address_problem(t)) return bad_usage(kWhat, "--to " + *p);
  for (const auto& h : a.headers)
    if (auto p = header_problem(h)) return bad_usage(kWhat, *p);
  if (!a.message_file.empty() && (!a.subject.empty() || !a.headers.empty() || !a.body_file.empty()))
    return bad_usage(kWhat, "--message takes the whole message; leave out --subject, --header and --body-file");

  auto config = load_config(a.config_file);
  if (!config) return 2;

  std::string message;
  if (!a.message_file.empty()) {
    auto text = read_input(a.message_file);
    if (!text) return failed(kWhat, a.message_file + ": " + text.error().text);
    message = std::move(*text);
  } else {
    std::string body;
    if (!a.body_file.empty()) {
      auto text = read_input(a.body_file);
      if (!text) return failed(kWhat, a.body_file + ": " + text.error().text);
      body = std::move(*text);
    }
    message = build_message(a, body);
  }

  // The directory the gateway would use: the replica when [directory] has a feed.
  std::shared_ptr<const directory::Directory> dir = directory::Directory::empty();
  std::optional<gateway::LocalDirectory> local;
  if (config->directory.feed.enabled()) {
    auto opened = gateway::open_local_directory(*config);
    if (!opened) return failed(kWhat, "directory: " + opened.error().text);
    local = std::move(*opened);
    dir = local->replica->current();
  }
  // Without a copy of the directory every member looks like the Internet:
  // say so rather than explain a decision the running gateway would not make.
  if (dir->serial() == 0)
    std::cerr << "policy test: no copy of the member directory yet (securemail directory fetch, or start the "
                 "gateway, fetches one): every other domain counts as a non-member\n";

  policy::MessageFacts facts;
  facts.listener = a.listener;
  facts.outbound = a.listener != "inbound";
  facts.sender = a.from;
  facts.authenticated = a.listener == "submission" || a.strong;
  facts.strong = a.strong;
  policy::Scanner scanner(*config);
  if (auto scanned = scanner.scan(message, facts); !scanned) return failed(kWhat, scanned.error().reply());

  policy::Engine engine(*config);
  std::optional<policy::Verdict> inbound = facts.outbound ? std::nullopt : engine.inbound(facts);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& to : a.to) {
    policy::RecipientFacts r;
    r.address = to;
    std::string domain = mail::domain_of(to);
    r.local = config->receives_for(domain);
    r.member = r.local ? nullptr : dir->lookup_domain(domain);
    r.route_jurisdiction = route_jurisdiction(*config, domain);
    policy::Verdict v = inbound ? *inbound : engine.decide(facts, r);
    std::string decision(policy::to_string(v.decision));
    bool refused = v.decision == config::PolicyDecision::refuse || v.decision == config::PolicyDecision::return_;
    std::string reason = refused ? std::to_string(v.code) + " " + v.status + " " + v.reason : v.reason;
    if (a.json) {
      out.push_back({{"recipient", to},
                     {"decision", decision},
                     {"rule", v.rule},
                     {"reason", reason},
                     {"explanation", v.explanation},
                     {"member", r.member ? nlohmann::json(r.member->id) : nlohmann::json(nullptr)}});
      continue;
    }
    std::cout << "<" << to << ">  " << decision << "  rule=" << v.rule << "  (" << who(r) << ")\n";
    if (!reason.empty()) std::cout << "    reason: " << reason << "\n";
    for (const auto& line : v.explanation) std::cout << "    " << line << "\n";
  }
  if (a.json) std::cout << out.dump(2) << "\n";
  if (!a.json && facts.marking.present()) std::cout << "marking: " << facts.marking.label() << "\n";
  return 0;
}

}  // namespace

void add_policy_command(CLI::App& app, std::function<int()>& action) {
  auto args = std::make_shared<PolicyArgs>();
  CLI::App* cmd = app.add_subcommand("policy", "The policy engine: markings, trigger words, rules");
  cmd->require_subcommand(1);
  CLI::App* test = cmd->add_subcommand("test", "What the policy decides for each recipient of a message, and why");
  test->add_option("-c,--config", args->config_file, "Config file (default: the embedded default)");
  test->add_option("--from", args->from, "Envelope sender (also the From: of a built message)")->required();
  test->add_option("--to", args->to, "A recipient (repeat for more)")->required();
  test->add_option("--subject", args->subject, "Subject of the built message");
  test->add_option("--header", args->headers, "\"Name: value\" added to the built message (repeat for more)");
  auto* body = test->add_option("--body-file", args->body_file, "The built message's body (text)");
  auto* msg = test->add_option("--message", args->message_file, "A whole message (RFC 5322) instead of building one; - for stdin");
  body->excludes(msg);
  test->add_option("--listener", args->listener, "Where the message arrives")
      ->check(CLI::IsMember({"relay", "submission", "inbound"}));
  test->add_flag("--strong", args->strong, "The sender signed in strongly (submission)");
  test->add_flag("--json", args->json, "A JSON array instead of text");
  test->callback([args, &action] { action = [args] { return run(*args); }; });
}

}  // namespace sm::app
