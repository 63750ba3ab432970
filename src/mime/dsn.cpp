// dsn.cpp - compose RFC 3464 multipart/report delivery status notifications.
//
// Layout (RFC 3462 multipart/report): a human-readable text/plain part that
// says which recipients are affected and why, the machine-readable
// message/delivery-status part, and the returned original (message/rfc822)
// or its header (text/rfc822-headers). Everything is CRLF; values that came
// from the network (replies, addresses, ENVID) are stripped of control
// characters so they can never inject a field or a boundary.
#include "mime/dsn.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <random>

#include "mime/header.h"
#include "util/base64.h"

namespace sm::mime {
namespace {

// Control characters (CR, LF, TAB...) become spaces: a value stays one field.
std::string clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  return out;
}

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x80; });
}

// Bare LF -> CRLF; the result ends with CRLF unless empty.
std::string to_crlf(std::string_view s) {
  // Every line end becomes CRLF: a bare LF, and a bare CR too (a returned
  // message must not carry a lone CR that readers split differently).
  std::string out;
  out.reserve(s.size() + s.size() / 32 + 2);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += "\r\n";
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else if (s[i] == '\n') {
      out += "\r\n";
    } else {
      out += s[i];
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

std::string field(std::string_view name, std::string_view value) {
  return fold(std::string(name) + ": " + clean(value));
}

// An extension field given whole ("X-Name: value"); without a name it
// could not be one field, so it is written under X-SecureMail-Note.
std::string extension_field(std::string_view whole) {
  auto colon = whole.find(':');
  std::string_view name = colon == std::string_view::npos ? std::string_view() : whole.substr(0, colon);
  bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-';
  });
  if (!ok) return field("X-SecureMail-Note", whole);
  std::string_view value = whole.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return field(name, value);
}

// An extra part (a signed receipt): base64 in 76-column lines.
std::string extra_part(const DsnExtraPart& p, std::string_view body_base64) {
  std::string m = "Content-Type: " + clean(p.content_type) + "\r\n";
  m += "Content-Transfer-Encoding: base64\r\n";
  if (!p.filename.empty()) {
    std::string name = clean(p.filename);
    std::erase_if(name, [](char c) { return c == '"' || c == '\\'; });
    m += "Content-Disposition: attachment; filename=\"" + name + "\"\r\n";
  }
  return m + "\r\n" + std::string(body_base64);
}

// Plain text wrapped at width, continuation lines indented.
std::string wrap(std::string_view text, std::size_t width, std::string_view indent) {
  std::string out, line;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t sp = text.find(' ', pos);
    std::string_view word = text.substr(pos, sp == std::string_view::npos ? text.size() - pos : sp - pos);
    pos = sp == std::string_view::npos ? text.size() : sp + 1;
    if (word.empty()) continue;
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\r\n";
      line = std::string(indent);
    }
    if (!line.empty() && line != indent) line += ' ';
    line.append(word);
  }
  if (!line.empty()) out += line + "\r\n";
  return out;
}

std::string address_field(std::string_view address) {
  return (has_8bit(address) ? "utf-8; " : "rfc822; ") + clean(address);
}

// ORCPT is "addr-type;address" (RFC 3461 4.2); tolerate a bare address.
std::string original_recipient(std::string_view orcpt) {
  auto semi = orcpt.find(';');
  if (semi == std::string_view::npos) return address_field(orcpt);
  std::string_view addr = orcpt.substr(semi + 1);
  while (!addr.empty() && addr.front() == ' ') addr.remove_prefix(1);
  return clean(orcpt.substr(0, semi)) + "; " + clean(addr);
}

std::string orcpt_address(std::string_view orcpt) {
  auto semi = orcpt.find(';');
  return std::string(semi == std::string_view::npos ? orcpt : orcpt.substr(semi + 1));
}

bool looks_like_reply(std::string_view r) {
  return r.size() >= 3 && std::isdigit(static_cast<unsigned char>(r[0])) &&
         std::isdigit(static_cast<unsigned char>(r[1])) && std::isdigit(static_cast<unsigned char>(r[2])) &&
         (r.size() == 3 || r[3] == ' ' || r[3] == '-');
}

std::string_view fallback_status(DsnAction a) {
  switch (a) {
    case DsnAction::failed: return "5.0.0";
    case DsnAction::delayed: return "4.0.0";
    default: return "2.0.0";
  }
}

const char* subject_for(DsnAction worst, bool only_relayed) {
  switch (worst) {
    case DsnAction::failed: return "Undelivered Mail Returned to Sender";
    case DsnAction::delayed: return "Delayed Mail (still being retried)";
    default: return only_relayed ? "Relayed Mail: Delivery Not Confirmed" : "Successful Mail Delivery Report";
  }
}

std::string random_hex() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

struct Resolved {
  const mail::Recipient* rcpt;
  const DsnRecipient* report;
};

std::string human_text(const DsnReport& r, const std::vector<Resolved>& rs, DsnAction worst) {
  std::string t = "This is the mail system at host " + clean(r.reporting_mta) + ".\r\n\r\n";
  if (!r.explanation.empty()) {
    t += wrap(clean(r.explanation), 72, "");
  } else if (worst == DsnAction::failed) {
    t += wrap("I'm sorry to have to inform you that your message could not be delivered to one "
              "or more recipients. The reason for each is given below; your message (or its "
              "header) is attached.", 72, "");
    t += "\r\n" + wrap("For further assistance, please send mail to <postmaster@" +
                           clean(r.reporting_mta) + "> and include this problem report.", 72, "");
  } else if (worst == DsnAction::delayed) {
    t += "####################################################################\r\n"
         "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\r\n"
         "####################################################################\r\n\r\n";
    t += wrap("Your message could not be delivered for some time to the recipients below.",
              72, "");
    if (r.will_retry_until)
      t += "The mail system will keep trying until " + format_date(r.will_retry_until) + ".\r\n";
  } else {
    t += wrap("Your message was delivered to the destinations listed below. If the message "
              "was relayed to a system that does not send delivery reports, this is the "
              "last report you will get.", 72, "");
  }
  t += "\r\n                   The mail system\r\n";
  static constexpr std::pair<DsnAction, const char*> kGroups[] = {
      {DsnAction::failed, "Could not be delivered:"},
      {DsnAction::delayed, "Delayed, still being retried:"},
      {DsnAction::delivered, "Delivered:"},
      {DsnAction::relayed, "Relayed (no further reports will follow):"},
      {DsnAction::expanded, "Expanded (delivered to a list or alias):"}};
  for (auto [action, title] : kGroups) {
    bool any = std::any_of(rs.begin(), rs.end(), [&](const Resolved& x) { return x.report->action == action; });
    if (!any) continue;
    t += "\r\n" + std::string(title) + "\r\n\r\n";
    for (const Resolved& x : rs) {
      if (x.report->action != action) continue;
      std::string line = "<" + clean(x.rcpt->address) + ">";
      std::string orig = orcpt_address(x.rcpt->orcpt);
      if (!orig.empty() && orig != x.rcpt->address) line += " (expanded from <" + clean(orig) + ">)";
      line += ":";
      std::string reply = clean(x.rcpt->last_reply.empty() ? x.report->diagnostic : x.rcpt->last_reply);
      if (!x.report->remote_mta.empty() && looks_like_reply(reply))
        line += " host " + clean(x.report->remote_mta) + " said:";
      line += " " + (reply.empty() ? std::string(action == DsnAction::failed ? "delivery failed"
                                                  : action == DsnAction::delayed ? "delivery deferred"
                                                                                 : "delivered")
                                   : reply);
      t += wrap(line, 76, "    ") + "\r\n";
    }
  }
  while (t.ends_with("\r\n\r\n")) t.resize(t.size() - 2);
  return t;
}

std::string status_text(const DsnReport& r, const std::vector<Resolved>& rs, std::int64_t now) {
  const mail::Envelope& e = r.envelope;
  std::string t;
  if (!e.envid.empty()) t += field("Original-Envelope-Id", e.envid);
  t += field("Reporting-MTA", "dns; " + r.reporting_mta);
  if (!e.id.empty()) t += field("X-SecureMail-Queue-ID", e.id);
  t += field("X-SecureMail-Sender", address_field(e.sender));
  std::int64_t arrival = r.arrival ? r.arrival : e.arrival;
  if (arrival) t += field("Arrival-Date", format_date(arrival));
  for (const Resolved& x : rs) {
    const mail::Recipient& rc = *x.rcpt;
    t += "\r\n";
    if (!rc.orcpt.empty()) t += field("Original-Recipient", original_recipient(rc.orcpt));
    t += field("Final-Recipient", address_field(rc.address));
    t += field("Action", to_string(x.report->action));
    t += field("Status", status_of_reply(rc.last_reply, fallback_status(x.report->action)));
    if (!x.report->remote_mta.empty()) t += field("Remote-MTA", "dns; " + x.report->remote_mta);
    if (!rc.last_reply.empty())
      t += field("Diagnostic-Code", (looks_like_reply(rc.last_reply) ? "smtp; " : "X-SecureMail; ") +
                                        rc.last_reply);
    else if (!x.report->diagnostic.empty())
      t += field("Diagnostic-Code", "X-SecureMail; " + x.report->diagnostic);
    t += field("Last-Attempt-Date", format_date(x.report->last_attempt ? x.report->last_attempt : now));
    if (x.report->action == DsnAction::delayed && r.will_retry_until)
      t += field("Will-Retry-Until", format_date(r.will_retry_until));
    for (const auto& extra : x.report->extra_fields) t += extension_field(extra);
  }
  return t;
}

}  // namespace

std::string_view to_string(DsnAction a) {
  switch (a) {
    case DsnAction::failed: return "failed";
    case DsnAction::delayed: return "delayed";
    case DsnAction::delivered: return "delivered";
    case DsnAction::relayed: return "relayed";
    case DsnAction::expanded: return "expanded";
  }
  return "failed";
}

std::string status_of_reply(std::string_view reply, std::string_view fallback) {
  std::string_view rest = reply;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  char reply_class = 0;
  if (looks_like_reply(rest)) {
    reply_class = rest[0];
    rest.remove_prefix(std::min<std::size_t>(4, rest.size()));
  }
  // class "." subject "." detail: [245] "." 1*3digit "." 1*3digit
  auto digits = [&](std::size_t& i) {
    std::size_t start = i;
    while (i < rest.size() && i - start < 4 && std::isdigit(static_cast<unsigned char>(rest[i]))) ++i;
    return i - start >= 1 && i - start <= 3;
  };
  if (!rest.empty() && (rest[0] == '2' || rest[0] == '4' || rest[0] == '5') && rest.size() > 1 &&
      rest[1] == '.') {
    std::size_t i = 2;
    if (digits(i) && i < rest.size() && rest[i] == '.' && digits(++i) &&
        (i == rest.size() || rest[i] == ' '))
      return std::string(rest.substr(0, i));
  }
  if (reply_class == '2' || reply_class == '4' || reply_class == '5') return std::string(1, reply_class) + ".0.0";
  return std::string(fallback);
}

Result<std::string> compose_dsn(const DsnReport& r) {
  const mail::Envelope& e = r.envelope;
  if (e.sender.empty()) return local_error("no delivery report to the null sender");
  if (r.recipients.empty()) return local_error("delivery report without recipients");
  std::vector<Resolved> rs;
  DsnAction worst = DsnAction::delivered;
  bool only_relayed = true;
  for (const DsnRecipient& d : r.recipients) {
    if (d.index >= e.recipients.size())
      return local_error("delivery report names recipient " + std::to_string(d.index) + " of " +
                         std::to_string(e.recipients.size()));
    rs.push_back({&e.recipients[d.index], &d});
    only_relayed = only_relayed && d.action == DsnAction::relayed;
    if (d.action == DsnAction::failed) worst = DsnAction::failed;
    else if (d.action == DsnAction::delayed && worst != DsnAction::failed) worst = DsnAction::delayed;
  }
  const std::int64_t now = r.now ? r.now : static_cast<std::int64_t>(std::time(nullptr));

  // The parts, each ending in CRLF.
  std::string text = human_text(r, rs, worst);
  std::string status = status_text(r, rs, now);
  std::string returned, returned_type, returned_desc;
  bool fits = r.original && r.original->size() <= r.return_limit &&
              (e.size == 0 || e.size <= r.return_limit);
  const char* what = worst == DsnAction::failed ? "Undelivered Message"
                     : worst == DsnAction::delayed ? "Delayed Message" : "Delivered Message";
  if (worst == DsnAction::failed && e.ret != mail::Ret::hdrs && fits) {
    returned = to_crlf(*r.original);
    returned_type = "message/rfc822";
    returned_desc = what;
  } else {
    std::string_view headers = r.original_headers;
    if (headers.empty() && r.original) {
      if (auto h = HeaderBlock::parse(*r.original)) headers = std::string_view(*r.original).substr(0, h->header_size());
    }
    if (!headers.empty()) {
      returned = to_crlf(headers);
      // The header block may arrive with its empty line; the part must not end in one.
      while (returned.ends_with("\r\n\r\n")) returned.resize(returned.size() - 2);
      returned_type = "text/rfc822-headers";
      returned_desc = std::string(what) + " Headers";
    }
  }

  // A boundary that occurs nowhere in the content (RFC 2046 5.1.1).
  std::string boundary = (e.id.empty() ? std::string("dsn") : clean(e.id)) + "." + std::to_string(now) +
                         "/" + clean(r.reporting_mta);
  std::replace_if(boundary.begin(), boundary.end(), [](unsigned char c) { return c <= ' ' || c == '"' || c >= 0x7f; }, '_');
  if (boundary.size() > 50) boundary.resize(50);  // RFC 2046: at most 70 with the suffix
  const std::string base = boundary;
  std::vector<std::string> extras;
  for (const auto& p : r.extra_parts) extras.push_back(base64_lines(p.body));
  auto in_extras = [&](const std::string& b) {
    return std::any_of(extras.begin(), extras.end(), [&](const std::string& x) { return x.find(b) != std::string::npos; });
  };
  for (int n = 1; text.find(boundary) != std::string::npos || status.find(boundary) != std::string::npos ||
                  returned.find(boundary) != std::string::npos || in_extras(boundary);
       ++n)
    boundary = base + "." + std::to_string(n) + "-" + random_hex();

  const bool eight = has_8bit(text) || has_8bit(status) || has_8bit(returned);
  std::string m;
  m += "From: \"Mail Delivery System\" <" + (r.from.empty() ? "MAILER-DAEMON@" + clean(r.reporting_mta) : clean(r.from)) +
       ">\r\n";
  m += field("To", "<" + e.sender + ">");
  m += field("Subject", subject_for(worst, only_relayed));
  m += field("Date", format_date(now));
  m += field("Message-ID", "<" + std::to_string(now) + "." + random_hex() + (e.id.empty() ? "" : "." + clean(e.id)) +
                               "@" + r.reporting_mta + ">");
  m += "Auto-Submitted: auto-replied\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + boundary + "\"\r\n";
  m += std::string("Content-Transfer-Encoding: ") + (eight ? "8bit" : "7bit") + "\r\n";
  m += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";
  m += "--" + boundary + "\r\n";
  m += "Content-Description: Notification\r\n";
  m += std::string("Content-Type: text/plain; charset=") + (has_8bit(text) ? "utf-8" : "us-ascii") + "\r\n";
  if (has_8bit(text)) m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "\r\n" + text + "\r\n";
  m += "--" + boundary + "\r\n";
  m += "Content-Description: Delivery report\r\n";
  m += "Content-Type: message/delivery-status\r\n";
  if (has_8bit(status)) m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "\r\n" + status + "\r\n";
  for (std::size_t i = 0; i < extras.size(); ++i) m += "--" + boundary + "\r\n" + extra_part(r.extra_parts[i], extras[i]) + "\r\n";
  if (!returned.empty()) {
    m += "--" + boundary + "\r\n";
    m += "Content-Description: " + returned_desc + "\r\n";
    m += "Content-Type: " + returned_type + "\r\n";
    if (has_8bit(returned)) m += "Content-Transfer-Encoding: 8bit\r\n";
    m += "\r\n" + returned + "\r\n";
  }
  m += "--" + boundary + "--\r\n";
  return m;
}

}  // namespace sm::mime
