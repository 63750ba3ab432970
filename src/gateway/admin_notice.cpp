// admin_notice.cpp - the administrator's email about directory changes.
#include "gateway/admin_notice.h"

#include "gateway/local_mail.h"

#include <algorithm>
#include <ctime>
#include <random>

#include "mime/header.h"
#include "pki/certificate.h"
#include "util/log.h"

namespace sm::gateway {
namespace {

// Feed text (organisation names, ids) in a text line: no control characters.
std::string clean(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + clean(i);
  return out.empty() ? "-" : out;
}

std::string describe_change(const DirectoryChanges& c, const directory::Change& change) {
  std::string kind(directory::to_string(change.kind));
  std::string line = "  " + kind + std::string(kind.size() < 12 ? 12 - kind.size() : 1, ' ') +
                     clean(change.member_id) + " (" + clean(change.organisation) + ")\r\n";
  if (const directory::Member* m = c.member(change)) {
    line += "              domains: " + join(m->domains) + (m->include_subdomains ? " and their subdomains" : "") + "\r\n";
    line += "              gateway: " + join(m->endpoints) + "; status " + std::string(directory::to_string(m->status)) +
            "; jurisdiction " + clean(m->jurisdiction.empty() ? "-" : m->jurisdiction) + "\r\n";
  }
  return line;
}

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x80; });
}

}  // namespace

std::string compose_admin_notice(const DirectoryChanges& c, const AdminNoticeText& how) {
  std::int64_t now = how.now ? how.now : static_cast<std::int64_t>(std::time(nullptr));
  std::string body = "The SecureMail member directory used by " + how.hostname + " changed.\r\n\r\n";
  body += "  serial " + std::to_string(c.serial) + " (was " + std::to_string(c.previous_serial) + "), issued " +
          pki::iso_time(c.issued) + "\r\n  from " + clean(how.feed) + "\r\n\r\n";
  for (const auto& change : c.changes) body += describe_change(c, change);
  body += "\r\nMail to and from these members is sealed and verified according to this directory from now on.\r\n";

  std::string subject = "SecureMail directory: " + std::to_string(c.changes.size()) +
                        (c.changes.size() == 1 ? " change" : " changes") + " (serial " + std::to_string(c.serial) + ")";
  std::mt19937_64 rng(std::random_device{}());
  std::string m;
  m += "From: \"SecureMail gateway\" <MAILER-DAEMON@" + how.hostname + ">\r\n";
  m += "To: <" + how.to + ">\r\n";
  m += mime::fold("Subject: " + subject);
  m += "Date: " + mime::format_date(now) + "\r\n";
  m += "Message-ID: <" + std::to_string(now) + ".directory." + std::to_string(c.serial) + "." +
       std::to_string(rng() % 1000000000) + "@" + how.hostname + ">\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += std::string("Content-Type: text/plain; charset=") + (has_8bit(body) ? "utf-8" : "us-ascii") + "\r\n";
  m += std::string("Content-Transfer-Encoding: ") + (has_8bit(body) ? "8bit" : "7bit") + "\r\n";
  return m + "\r\n" + body;
}

AdminNotifier::AdminNotifier(const config::Config& config, queue::Spool& spool,
                             std::function<void(const std::string&)> queued)
    : config_(config), spool_(spool), queued_(std::move(queued)) {}

void AdminNotifier::notify(const DirectoryChanges& changes) {
  const auto& d = config_.directory;
  std::string text = compose_admin_notice(changes, {config_.hostname, d.admin_contact, d.feed.str(), 0});
  LocalMessage notice{"directory", d.admin_contact, text, 0, has_8bit(text)};
  // Runs on the committer thread, possibly after this notifier is gone:
  // it captures copies only.
  std::string id = queue_local_message(spool_, notice, [queued = queued_, serial = changes.serial, to = d.admin_contact](Result<std::string> r) {
    if (!r) {
      log::error("directory: notice of serial {} not queued: {}", serial, r.error().text);
      return;
    }
    log::info("{}: directory notice of serial {} to {}", *r, serial, to);
    queued(*r);
  });
  if (id.empty()) log::error("directory: cannot queue the notice of serial {} to {}", changes.serial, d.admin_contact);
}

}  // namespace sm::gateway
