// bouncer.cpp - compose a DSN for the chosen recipients and queue it.
#include "gateway/bouncer.h"

#include "gateway/local_mail.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "mime/dsn.h"
#include "mime/header.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::Counter dsn_total("securemail_dsn_sent_total", "Delivery status notifications queued");

constexpr std::size_t kReturnLimit = 50 * 1024;  // like Postfix's bounce_size_limit

// Up to limit+1 octets of the stored message, so the composer can tell
// whether the whole message fits; never past its end (its segment holds
// other records after it).
std::string read_original(const queue::QueuedMessage& m, std::size_t limit) {
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(limit + 1, m.envelope.size));
  if (m.octets) return m.octets->substr(0, want);
  std::string out;
  int fd = m.segment ? ::dup(*m.segment) : ::open(m.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  out.resize(want);
  ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(m.body_offset));
  ::close(fd);
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

mime::DsnAction to_mime(DsnAction a) {
  switch (a) {
    case DsnAction::delayed: return mime::DsnAction::delayed;
    case DsnAction::delivered: return mime::DsnAction::delivered;
    default: return mime::DsnAction::failed;
  }
}

mail::Notify notify_for(DsnAction a) {
  switch (a) {
    case DsnAction::delayed: return mail::kNotifyDelay;
    case DsnAction::delivered: return mail::kNotifySuccess;
    default: return mail::kNotifyFailure;
  }
}

}  // namespace

Bouncer::Bouncer(const config::Config& config, queue::Spool& spool, std::function<void(const std::string&)> queued)
    : config_(config), spool_(spool), queued_(std::move(queued)) {}

std::string Bouncer::report(const queue::QueuedMessage& m, const std::vector<std::size_t>& recipients,
                            DsnAction action) {
  const auto& env = m.envelope;
  if (env.sender.empty()) {
    if (action == DsnAction::failed) log::info("{}: no bounce for the null sender", env.id);
    return {};
  }
  mime::DsnReport report;
  report.reporting_mta = config_.hostname;
  report.envelope = env;
  for (auto i : recipients)
    if (env.recipients.at(i).wants(notify_for(action))) report.recipients.push_back({i, to_mime(action)});
  if (report.recipients.empty()) return {};

  std::string original = read_original(m, kReturnLimit);
  auto headers = mime::HeaderBlock::parse(original);
  report.original_headers = original.substr(0, headers ? headers->header_size() : 0);
  if (original.size() <= kReturnLimit) report.original = std::move(original);
  report.return_limit = kReturnLimit;
  auto text = mime::compose_dsn(report);
  if (!text) {
    log::error("{}: cannot compose delivery status notification: {}", env.id, text.error().text);
    return {};
  }

  std::string original_id = env.id;
  LocalMessage dsn{"bounce", env.sender, std::move(*text), report.now, false};
  std::string dsn_id = queue_local_message(spool_, dsn, [this, original_id](Result<std::string> r) {
    if (!r) {
      log::error("{}: delivery status notification not queued: {}", original_id, r.error().text);
      return;
    }
    dsn_total.add();
    log::info("{}: sender delivery status notification: {}", original_id, *r);
    queued_(*r);
  });
  if (dsn_id.empty()) log::error("{}: cannot queue delivery status notification", env.id);
  return dsn_id;
}

}  // namespace sm::gateway
