// policy_bench.cpp - the policy decision at its issue-15 size: a 200-rule
// policy, a message to 10 recipients with a 1 MiB body and text
// attachments; timed exactly as the gateway runs it (Scanner::scan once per
// message, then Engine::decide per recipient).
//
//   policy_bench [--seconds S] [--write-message FILE]
//
// The message (built in memory, deterministic): a 512 KiB quoted-printable
// text/plain body, a 256 KiB base64 text/plain attachment and a 256 KiB
// text/csv attachment, with the [SENSITIVE] marking only at the end of the
// last attachment (the scan must read everything to find it). The 200
// rules use every kind of condition (recipient domains, member ids,
// marking ranges, trigger words, size, attachment types, jurisdictions,
// personal) and none matches before the last, so each recipient walks all
// of them, then the guards. Recipients: 5 members (seal) and 5 others.
//
// Printed, one "name: value" line each: the scan alone (ms per message),
// decide alone (us per recipient), and messages and decisions per second
// for scan + 10 decisions, wall and CPU. --write-message saves the message
// for bench/policy's peer (Python's email parser on the same octets).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>

#include "config/config.h"
#include "policy/engine.h"
#include "policy/scan.h"
#include "policy_test_support.h"  // tests/unit: the quoted-printable writer
#include "util/base64.h"

using namespace sm;

namespace {

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}
double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string prose(std::size_t size, unsigned seed) {
  static const char* words[] = {"budget", "meeting", "minutes", "programme", "review", "the", "of", "and",
                                "schedule", "agency", "report", "draft", "café", "=", "quarter", "figures"};
  std::string s;
  unsigned x = seed;
  std::size_t col = 0;
  while (s.size() < size) {
    x = x * 1103515245u + 12345u;
    const char* w = words[(x >> 16) % 16];
    s += w;
    col += std::strlen(w) + 1;
    if (col > 70) {
      s += "\r\n";
      col = 0;
    } else {
      s += ' ';
    }
  }
  return s;
}

std::string message() {
  std::string m =
      "From: Alice <alice@agency.govt.nz>\r\nTo: many@recipients.example\r\nSubject: Quarterly figures\r\n"
      "Message-ID: <bench@agency.govt.nz>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"=-bench-=\"\r\n\r\n";
  m += "--=-bench-=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
       test::quoted_printable(prose(512 * 1024, 1)) + "\r\n";
  m += "--=-bench-=\r\nContent-Type: text/plain; charset=utf-8; name=\"notes.txt\"\r\n"
       "Content-Disposition: attachment; filename=\"notes.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  m += test::crlf(base64_lines(prose(256 * 1024, 2)));
  m += "--=-bench-=\r\nContent-Type: text/csv; charset=utf-8; name=\"figures.csv\"\r\n"
       "Content-Disposition: attachment; filename=\"figures.csv\"\r\n\r\n" +
       prose(256 * 1024, 3) + "\r\n[SENSITIVE]\r\n";
  return m + "--=-bench-=--\r\n";
}

// 200 rules, every condition kind, none holding before the last one.
config::Config policy() {
  config::Config c;
  using D = config::PolicyDecision;
  for (int i = 0; i < 199; ++i) {
    config::PolicyRule r;
    r.name = "rule-" + std::to_string(i);
    r.line = static_cast<std::uint32_t>(i + 1);
    r.decision = i % 2 ? D::refuse : D::hold;
    switch (i % 8) {
      case 0: r.when.to = {"*@dept-" + std::to_string(i) + ".example", "boss@x" + std::to_string(i) + ".example"}; break;
      case 1: r.when.member_ids = {"member-" + std::to_string(i)}; break;
      case 2: r.when.marking_min = "SECRET"; break;
      case 3: r.when.triggers = {"SEEMAIL"}; break;
      case 4: r.when.size_over = 64u * 1024 * 1024; break;
      case 5: r.when.attachment_types = {"application/zip", "*.exe"}; break;
      case 6: r.when.jurisdictions = {"AU"}; r.when.member = true; break;
      case 7: r.when.personal = true; r.when.from = {"*@personal.example"}; break;
    }
    c.rules.push_back(r);
  }
  config::PolicyRule last;
  last.name = "members-sealed";
  last.line = 200;
  last.when.member = true;
  last.decision = D::seal;
  c.rules.push_back(last);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  std::string write_to;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (a == "--write-message" && i + 1 < argc) write_to = argv[++i];
    else {
      std::fprintf(stderr, "usage: policy_bench [--seconds S] [--write-message FILE]\n");
      return 2;
    }
  }
  const std::string msg = message();
  if (!write_to.empty()) std::ofstream(write_to, std::ios::binary) << msg;

  config::Config cfg = policy();
  policy::Scanner scanner(cfg);
  policy::Engine engine(cfg);
  std::vector<directory::Member> members(5);
  std::vector<policy::RecipientFacts> rcpts;
  for (int i = 0; i < 10; ++i) {
    policy::RecipientFacts r;
    r.address = "user" + std::to_string(i) + "@org" + std::to_string(i) + ".example";
    if (i < 5) {
      auto& m = members[static_cast<std::size_t>(i)];
      m.id = "org" + std::to_string(i);
      m.domains = {"org" + std::to_string(i) + ".example"};
      m.jurisdiction = "NZ";
      m.max_marking = "RESTRICTED";
      r.member = &m;
    }
    rcpts.push_back(r);
  }

  auto scan_once = [&](policy::MessageFacts& f) {
    f = {};
    f.listener = "relay";
    f.sender = "alice@agency.govt.nz";
    if (auto r = scanner.scan(msg, f); !r) {
      std::fprintf(stderr, "scan failed: %s\n", r.error().reply().c_str());
      std::exit(1);
    }
  };
  policy::MessageFacts facts;
  scan_once(facts);
  int sealed = 0;
  for (const auto& r : rcpts) sealed += engine.decide(facts, r).decision == config::PolicyDecision::seal;
  std::printf("message: %zu octets, marking %s, %d of %zu recipients sealed\n", msg.size(), facts.marking.label().c_str(),
              sealed, rcpts.size());

  // 1. The scan alone.
  double w0 = wall_now(), c0 = cpu_now();
  int scans = 0;
  while (wall_now() - w0 < seconds / 3 || scans < 3) {
    scan_once(facts);
    ++scans;
  }
  double scan_ms = (wall_now() - w0) / scans * 1e3;
  // 2. decide alone, on the scanned facts.
  w0 = wall_now();
  long decides = 0;
  while (wall_now() - w0 < seconds / 3) {
    for (const auto& r : rcpts) decides += engine.decide(facts, r).rule.size() > 0;
  }
  double decide_us = (wall_now() - w0) / static_cast<double>(decides) * 1e6;
  // 3. What the gateway does per message: one scan, 10 decisions.
  w0 = wall_now();
  c0 = cpu_now();
  int messages = 0;
  while (wall_now() - w0 < seconds / 3 || messages < 3) {
    scan_once(facts);
    for (const auto& r : rcpts) engine.decide(facts, r);
    ++messages;
  }
  double wall = wall_now() - w0, cpu = cpu_now() - c0;
  std::printf("scan: %.2f ms per message (%d scans)\n", scan_ms, scans);
  std::printf("decide: %.2f us per recipient (200 rules; %ld decisions)\n", decide_us, decides);
  std::printf("messages per second: %.1f (wall), %.1f (cpu)\n", messages / wall, messages / cpu);
  std::printf("decisions per second: %.1f (wall), %.1f (cpu)\n", messages * 10 / wall, messages * 10 / cpu);
  std::printf("scan+decide: %.2f ms per message (wall)\n", wall / messages * 1e3);
  return 0;
}
