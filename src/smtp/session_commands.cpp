// session_commands.cpp - EHLO/HELO, MAIL, RCPT and RSET: sequence rules,
// limits, and handing each envelope decision to the TransactionHandler.
#include <chrono>

#include "smtp/reply.h"
#include "smtp/session.h"
#include "util/log.h"
#include "util/text.h"

namespace sm::smtp {
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Session::do_hello(const Command& cmd) {
  reset_transaction();  // RFC 5321 4.1.4: EHLO/HELO imply RSET
  info_.helo = cmd.argument;
  esmtp_ = cmd.verb == Verb::ehlo;
  if (!esmtp_) {
    out_ += format_multiline(250, {options_.hostname});
    return;
  }
  std::vector<std::string> lines{options_.hostname, "PIPELINING",
                                 "SIZE " + std::to_string(options_.limits.max_message_size),
                                 "8BITMIME", "BINARYMIME", "CHUNKING", "ENHANCEDSTATUSCODES", "DSN"};
  if (options_.tls && !info_.tls) lines.push_back("STARTTLS");
  if (options_.auth && info_.tls && info_.auth_user.empty()) lines.push_back("AUTH PLAIN LOGIN");
  out_ += format_multiline(250, lines);
}

void Session::do_mail(const Command& cmd) {
  if (info_.helo.empty()) return protocol_error(503, "5.5.1", "Error: send HELO/EHLO first");
  if (envelope_) return protocol_error(503, "5.5.1", "Error: nested MAIL command");
  if (options_.closing && options_.closing->load(std::memory_order_relaxed)) {
    reply(421, "4.3.2", options_.hostname + " Service restarting, try again");
    quit_ = true;
    return;
  }
  if (options_.auth && info_.auth_user.empty()) return reply(530, "5.7.0", "Authentication required");
  if (cmd.has_params && !esmtp_)
    return protocol_error(555, "5.5.4", "Error: MAIL parameters require EHLO");
  if (cmd.size && *cmd.size > options_.limits.max_message_size)
    return reply(552, "5.3.4", "Message size exceeds fixed limit");
  mail::Envelope env;
  env.sender = cmd.address;
  env.ret = cmd.ret;
  env.envid = cmd.envid.value_or("");
  env.body_8bit = cmd.body == Body::eight_bit_mime;
  env.body_binary = cmd.body == Body::binary_mime;
  env.listener = options_.listener;
  env.client_address = info_.peer_address;
  env.helo = info_.helo;
  env.arrival = unix_now();
  if (auto r = handler_.on_mail(info_, env); !r) {
    log::info("smtpd: reject MAIL from [{}]: from=<{}>: {}", info_.peer_address, env.sender, r.error().reply());
    return reply(r.error());
  }
  envelope_ = std::move(env);
  reply(250, "2.1.0", "Ok");
}

// The same mailbox: the local part exactly, the domain case-insensitively
// (RFC 5321 2.4), as Postfix's duplicate filter compares them.
static bool same_mailbox(std::string_view a, std::string_view b) {
  auto at_a = a.rfind('@'), at_b = b.rfind('@');
  if (at_a != at_b || a.substr(0, at_a) != b.substr(0, at_b)) return false;
  if (at_a == std::string_view::npos) return true;
  return ascii_lower(a.substr(at_a + 1)) == ascii_lower(b.substr(at_b + 1));
}

asio::awaitable<Session::Io> Session::do_rcpt(const Command& cmd) {
  if (!envelope_) {
    protocol_error(503, "5.5.1", "Error: need MAIL command");
    co_return Io::ok;
  }
  if (cmd.has_params && !esmtp_) {
    protocol_error(555, "5.5.4", "Error: RCPT parameters require EHLO");
    co_return Io::ok;
  }
  // A recipient given twice gets one copy: accepted again, kept once.
  for (const auto& r : envelope_->recipients)
    if (same_mailbox(r.address, cmd.address)) {
      reply(250, "2.1.5", "Ok");
      co_return Io::ok;
    }
  if (envelope_->recipients.size() >= options_.limits.max_recipients) {
    reply(452, "4.5.3", "Error: too many recipients");
    co_return Io::ok;
  }
  mail::Recipient rcpt;
  rcpt.address = cmd.address;
  rcpt.orcpt = cmd.orcpt.value_or("");
  rcpt.notify = cmd.notify;
  auto taken = handler_.on_rcpt(info_, *envelope_, rcpt);
  if (taken) {
    taken = co_await handler_.verify_rcpt(info_, *envelope_, rcpt);  // may ask the internal server
    // A mailbox that does not exist counts towards max_errors, as Postfix
    // counts it towards smtpd_hard_error_limit: a client guessing local
    // parts (a directory harvest) is cut off after a few.
    if (!taken && taken.error().permanent()) ++errors_;
  }
  if (!taken) {
    log::info("smtpd: reject RCPT from [{}]: from=<{}> to=<{}>: {}", info_.peer_address,
              envelope_->sender, rcpt.address, taken.error().reply());
    reply(taken.error());
    co_return Io::ok;
  }
  envelope_->recipients.push_back(std::move(rcpt));
  reply(250, "2.1.5", "Ok");
  co_return Io::ok;
}

void Session::do_rset() {
  reset_transaction();
  reply(250, "2.0.0", "Ok");
}

}  // namespace sm::smtp
