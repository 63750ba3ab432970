// admin_notice.h - tells the gateway's administrator ([directory]
// admin_contact) by email what an applied directory feed changed: one
// plain-text message per feed, queued in the local spool like a bounce
// (null sender, so it never bounces back) and delivered by the normal path
// (for our own domain: [deliver] internal). Queued, it survives a crash
// like any accepted mail.
#pragma once

#include <functional>
#include <string>

#include "config/config.h"
#include "gateway/directory_changes.h"
#include "queue/spool.h"

namespace sm::gateway {

struct AdminNoticeText {
  std::string hostname;  // From: MAILER-DAEMON@hostname, Message-ID
  std::string to;        // [directory] admin_contact
  std::string feed;      // where the feed came from, for the text
  std::int64_t now = 0;  // Date:; 0: the current time
};
// The whole message (RFC 5322, CRLF line ends, UTF-8 body).
std::string compose_admin_notice(const DirectoryChanges& changes, const AdminNoticeText& how);

class AdminNotifier {
 public:
  // queued is called (on the queue's committer thread) with each notice's
  // queue id once it is committed.
  AdminNotifier(const config::Config& config, queue::Spool& spool, std::function<void(const std::string&)> queued);

  // Compose and queue the notice; failures are logged (the feed is applied
  // regardless). Blocking file I/O: call from the directory thread.
  void notify(const DirectoryChanges& changes);

 private:
  const config::Config& config_;
  queue::Spool& spool_;
  std::function<void(const std::string&)> queued_;
};

}  // namespace sm::gateway
