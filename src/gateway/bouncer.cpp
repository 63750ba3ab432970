// bouncer.cpp - compose a DSN for the chosen recipients and queue it.
#include "gateway/bouncer.h"

#include <algorithm>

#include "gateway/local_mail.h"
#include "mime/dsn.h"
#include "mime/header.h"
#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::Counter dsn_total("securemail_dsn_sent_total", "Delivery status notifications queued");

constexpr std::size_t kReturnLimit = 50 * 1024;  // like Postfix's bounce_size_limit

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

Bouncer::Bouncer(const config::Config& config, OwnMail& own_mail) : config_(config), own_mail_(own_mail) {}

bool Bouncer::report(const queue::QueuedMessage& m, const std::vector<std::size_t>& recipients,
                            DsnAction action) {
  const auto& env = m.envelope;
  if (env.sender.empty()) {
    if (action == DsnAction::failed) log::info("{}: no bounce for the null sender", env.id);
    return false;
  }
  mime::DsnReport report;
  report.reporting_mta = config_.hostname;
  report.from = "MAILER-DAEMON@" + config_.domain;  // what our primary-domain key signs
  report.envelope = env;
  for (auto i : recipients)
    if (env.recipients.at(i).wants(notify_for(action))) report.recipients.push_back({i, to_mime(action)});
  if (report.recipients.empty()) return false;

  std::string original = read_queued(m, kReturnLimit + 1);
  auto headers = mime::HeaderBlock::parse(original);
  report.original_headers = original.substr(0, headers ? headers->header_size() : 0);
  if (original.size() <= kReturnLimit) report.original = std::move(original);
  report.return_limit = kReturnLimit;
  auto text = mime::compose_dsn(report);
  if (!text) {
    log::error("{}: cannot compose delivery status notification: {}", env.id, text.error().text);
    return false;
  }

  std::string original_id = env.id;
  LocalMessage dsn{"bounce", env.sender, std::move(*text), report.now, false};
  own_mail_.send(std::move(dsn), [original_id](Result<std::string> r) {
    if (!r) return;  // own_mail logged why
    dsn_total.add();
    log::info("{}: sender delivery status notification: {}", original_id, *r);
  });
  return true;
}

}  // namespace sm::gateway
