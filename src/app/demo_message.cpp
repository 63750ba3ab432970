// demo_message.cpp - the demo's message: written as an organisation's mail
// server would hand it over, sent to gateway a's relay listener with the
// real SMTP client (delivery::SmtpClient, the code gateways deliver with),
// awaited in gateway b's Maildir, and shown with its Authentication-Results
// marked.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#include "app/demo_parts.h"
#include "delivery/smtp_client.h"
#include "pki/key.h"
#include "util/log.h"

namespace sm::app::demo {
namespace {

// RFC 5322 date-time in UTC: "Mon, 23 Nov 2026 16:02:11 +0000".
std::string rfc5322_now() {
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t now = std::time(nullptr);
  std::tm t{};
  ::gmtime_r(&now, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[t.tm_wday], t.tm_mday,
                months[t.tm_mon], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
  return buf;
}

bool is_field(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != std::tolower(static_cast<unsigned char>(name[i])))
      return false;
  return true;
}

}  // namespace

Result<std::string> write_message(const fs::path& file, const DemoMail& mail) {
  std::string domain = mail.from.substr(mail.from.find('@') + 1);
  std::string message_id = "<demo." + std::to_string(std::time(nullptr)) + "." + std::to_string(::getpid()) + "@" +
                           domain + ">";
  const std::string lines[] = {
      "From: Alice <" + mail.from + ">",
      "To: Bob <" + mail.to + ">",
      "Subject: " + mail.subject,
      "Date: " + rfc5322_now(),
      "Message-ID: " + message_id,
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=us-ascii",
      "",
      "Hello Bob,",
      "",
      "this message left my mail server as ordinary mail. My organisation's",
      "gateway signed it and encrypted it to yours; your gateway decrypted it,",
      "checked that the signature belongs to my domain, and delivered it.",
      "",
      "Alice",
  };
  std::string text;
  for (const auto& l : lines) text += l + "\r\n";
  if (auto r = pki::write_file_atomic(file, text, 0644, false); !r) return std::unexpected(r.error());
  return message_id;
}

Result<std::string> send_message(const config::Endpoint& relay, const fs::path& file, const DemoMail& mail) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return local_error("cannot read " + file.string() + ": " + ec.message());
  delivery::NextHop hop;
  hop.kind = delivery::NextHop::Kind::smtp;
  hop.host = relay.host;
  hop.port = relay.port;
  delivery::ClientOptions options;
  options.helo_name = "mail." + mail.from.substr(mail.from.find('@') + 1);
  options.connect_timeout = std::chrono::seconds(10);
  options.command_timeout = std::chrono::seconds(30);
  options.data_timeout = std::chrono::seconds(30);
  mail::Envelope env;
  env.sender = mail.from;
  env.recipients.push_back(mail::Recipient{.address = mail.to});
  env.size = size;
  delivery::StoredMessage stored{file, 0, size};

  auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::warn);  // the client's own per-recipient log line is not for the demo's reader
  asio::io_context io;
  delivery::SmtpClient client(io.get_executor(), hop, options, nullptr);
  std::vector<delivery::RecipientOutcome> outcomes;
  const std::vector<std::size_t> only_recipient{0};
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    outcomes = co_await client.send(env, only_recipient, stored);
    co_await client.quit();
  }, asio::detached);
  io.run();
  spdlog::set_level(level);
  if (outcomes.empty()) return local_error("the SMTP dialogue with " + relay.str() + " ended without an answer");
  return outcomes[0].result;
}

std::string queue_id_of(std::string_view reply) {
  constexpr std::string_view marker = "queued as ";
  auto at = reply.find(marker);
  if (at == std::string_view::npos) return {};
  auto id = reply.substr(at + marker.size());
  auto end = id.find_first_of(" \t\r\n");
  return std::string(id.substr(0, end));
}

Result<fs::path> wait_for_delivery(const fs::path& new_dir, std::chrono::seconds timeout,
                                   std::vector<GatewayChild*> gateways) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(new_dir, ec))
      if (e.is_regular_file()) return e.path();
    for (auto* g : gateways)
      if (!g->running())
        return local_error("the gateway for " + g->domain() + " stopped (" + g->status() + "); see " +
                           g->log().string());
    if (interrupted()) return local_error("interrupted");
    if (std::chrono::steady_clock::now() > deadline)
      return local_error("nothing arrived in " + new_dir.string() + " within " + std::to_string(timeout.count()) + " s");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::vector<std::string> show_message(const fs::path& file, std::ostream& out, bool colour) {
  std::ifstream in(file, std::ios::binary);
  std::vector<std::string> results;
  std::string line;
  bool in_header = true, marked = false;
  const char* on = colour ? "\033[1;32m" : "";
  const char* off = colour ? "\033[0m" : "";
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (in_header && line.empty()) {
      in_header = false;
      out << "\n";
      continue;
    }
    if (!in_header) {
      out << "    " << line << "\n";
      continue;
    }
    bool continuation = line[0] == ' ' || line[0] == '\t';
    if (!continuation) {
      marked = is_field(line, "Authentication-Results");
      if (marked) results.push_back(line.substr(line.find(':') + 1));
    } else if (marked) {
      results.back() += " " + line;
    }
    if (marked) out << ">>> " << on << line << off << "\n";
    else out << "    " << line << "\n";
  }
  return results;
}

}  // namespace sm::app::demo
