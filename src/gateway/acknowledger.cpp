// acknowledger.cpp - the acknowledging mailboxes' replies and their rules.
#include "gateway/acknowledger.h"

#include <ctime>

#include "mime/header.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/text.h"

namespace sm::gateway {
namespace {

metrics::LabeledCounter acknowledgements_total("securemail_acknowledgements_total",
                                               "Acknowledging mailboxes: replies sent and skipped, by reason", "result",
                                               {"sent", "null-sender", "auto-submitted", "too-soon", "error"});

std::string field_value(const mime::HeaderBlock& block, std::string_view name) {
  auto v = block.get(name);
  return v ? std::string(*v) : std::string();
}

}  // namespace

std::string compose_acknowledgement(const Acknowledged& w) {
  std::string id = w.message_id.empty() ? std::string() : "<" + one_line(w.message_id) + ">";
  OwnHeader h;
  h.from = w.mailbox;
  h.to = w.sender;
  h.subject = "Received: " + (w.subject.empty() ? (id.empty() ? std::string("your message") : id) : w.subject);
  if (!id.empty()) h.extra = {"In-Reply-To: " + id, "References: " + id};
  std::string m = own_header(h);
  m += "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
  m += "Your message " + (id.empty() ? std::string("(without a Message-ID)") : id) + " was received by " +
       one_line(w.mailbox) + "\r\n";
  m += "at " + mime::format_date(w.received_at ? w.received_at : std::time(nullptr)) + ".\r\n";
  m += "It came sealed from member " + one_line(w.member) + " and its signature was verified.\r\n";
  m += "\r\nThis is an automatic acknowledgement; please do not reply to it.\r\n";
  return m;
}

bool auto_submitted(std::string_view message) {
  auto block = mime::HeaderBlock::parse(message);
  if (!block) return true;  // unreadable: do not answer
  auto v = block->get("Auto-Submitted");
  if (!v) return false;
  std::string keyword = ascii_lower(v->substr(0, v->find_first_of("(;")));
  while (!keyword.empty() && (keyword.back() == ' ' || keyword.back() == '\t')) keyword.pop_back();
  while (!keyword.empty() && (keyword.front() == ' ' || keyword.front() == '\t')) keyword.erase(0, 1);
  return keyword != "no";
}

std::size_t Acknowledger::received(const mail::Envelope& env, const std::vector<std::size_t>& recipients,
                                   std::string_view message, const std::string& member) {
  std::size_t sent = 0;
  for (auto i : recipients) {
    const std::string rcpt = ascii_lower(env.recipients.at(i).address);
    const config::Config::Acknowledge* box = nullptr;
    for (const auto& a : config_.acknowledge)
      if (ascii_lower(a.address) == rcpt) box = &a;
    if (!box) continue;
    auto skip = [&](const char* result, const std::string& why) {
      acknowledgements_total.add(result);
      log::info("{}: to=<{}>: no acknowledgement: {}", env.id, rcpt, why);
    };
    if (env.sender.empty()) { skip("null-sender", "the null sender"); continue; }
    if (auto_submitted(message)) { skip("auto-submitted", "the message is Auto-Submitted (RFC 3834)"); continue; }
    if (!ledger_) { skip("error", "no receipt ledger to keep the interval in"); continue; }
    std::int64_t now = std::time(nullptr);
    auto due = ledger_->acknowledgement_due(box->address, ascii_lower(env.sender), now, box->interval.count());
    if (!due) { skip("error", due.error().text); continue; }
    if (!*due) { skip("too-soon", "<" + env.sender + "> was answered within the interval"); continue; }
    auto block = mime::HeaderBlock::parse(message);
    Acknowledged what{box->address, env.sender, "", "", member, env.arrival ? env.arrival : now};
    if (block) {
      what.subject = field_value(*block, "Subject");
      what.message_id = evidence::bare_message_id(field_value(*block, "Message-ID"));
    }
    std::string id = env.id, mailbox = box->address, to = env.sender;
    own_mail_.send(LocalMessage{"acknowledge", env.sender, compose_acknowledgement(what), 0, false},
                   [id, mailbox, to](Result<std::string> r) {
                     if (!r) return acknowledgements_total.add("error");
                     acknowledgements_total.add("sent");
                     log::info("{}: to=<{}>: acknowledgement sent to <{}> as {}", id, mailbox, to, *r);
                   });
    ++sent;
  }
  return sent;
}

}  // namespace sm::gateway
