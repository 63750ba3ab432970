// own_mail.cpp - own mail: sealed to members on a pool thread, plain otherwise.
#include "gateway/own_mail.h"

#include "util/text.h"

#include <asio/post.hpp>
#include <cstdio>
#include <ctime>
#include <random>

#include "gateway/receipt_asking.h"
#include "mime/header.h"

#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::LabeledCounter own_mail_total("securemail_own_mail_total",
                                       "Messages the gateway wrote itself, by how they were queued", "result",
                                       {"plain", "sealed", "unsealable", "failed"});

}  // namespace

std::string one_line(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) out += static_cast<unsigned char>(c) < ' ' || c == 127 ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string own_header(const OwnHeader& h) {
  std::int64_t now = h.date ? h.date : static_cast<std::int64_t>(std::time(nullptr));
  std::random_device rd;
  char unique[40];
  std::snprintf(unique, sizeof unique, "%lld.%08x%08x", static_cast<long long>(now), rd(), rd());
  std::string m;
  m += "From: " + one_line(h.from) + "\r\n";
  m += "To: " + one_line(h.to) + "\r\n";
  m += mime::fold("Subject: " + one_line(h.subject));
  m += "Date: " + mime::format_date(now) + "\r\n";
  m += "Message-ID: <" + std::string(unique) + ".securemail@" + mail::domain_of(one_line(h.from)) + ">\r\n";
  m += "Auto-Submitted: auto-replied\r\n";
  m += "MIME-Version: 1.0\r\n";
  for (const auto& f : h.extra) m += one_line(f) + "\r\n";
  return m;
}

OwnMail::OwnMail(const config::Config& config, queue::Spool& spool, std::shared_ptr<const GatewayKeys> keys,
                 DirectorySnapshot directory, MemberCertificates* certificates,
                 std::function<void(const std::string&)> committed)
    : config_(config),
      spool_(spool),
      keys_(std::move(keys)),
      directory_(std::move(directory)),
      certificates_(certificates),
      committed_(std::move(committed)) {}

OwnMail::~OwnMail() { pool_.join(); }

void OwnMail::finished(const LocalMessage& message, Result<std::string> r, const Done& done) {
  if (!r) {
    own_mail_total.add("failed");
    log::error("{} to <{}> not queued: {}", message.source, message.recipient, r.error().text);
  } else if (committed_) {
    committed_(*r);
  }
  if (done) done(std::move(r));
}

void OwnMail::send(LocalMessage message, Done done) {
  if (take_local_ && ascii_lower(message.recipient) == ascii_lower(local_address_)) {
    take_local_(message);
    if (done) done(std::string(message.source) + "-taken");
    return;
  }
  mail::Envelope env = local_envelope(message);
  auto dir = directory_ ? directory_() : nullptr;
  OutboundPlan plan = plan_outbound(config_, dir, env);
  if (!plan.suspended.empty()) {
    own_mail_total.add("unsealable");
    log::error("{} to <{}> not sent: the recipient's member is suspended from the directory (own mail to members is never sent plain)",
               message.source, message.recipient);
    if (done) done(fail(550, "5.7.1", "the recipient's member is suspended"));
    return;
  }
  if (plan.sealed.empty()) {
    std::string id = queue_local_message(spool_, message, [this, message, done](Result<std::string> r) {
      if (r) own_mail_total.add("plain");
      finished(message, std::move(r), done);
    });
    if (id.empty()) finished(message, local_error("cannot write the message to the queue"), done);
    return;
  }
  asio::post(pool_, [this, plan = std::move(plan), message = std::move(message), done = std::move(done)] {
    seal_and_queue(plan, message, done);
  });
}

void OwnMail::seal_and_queue(const OutboundPlan& plan, const LocalMessage& message, const Done& done) {
  const auto& group = plan.sealed.front();
  mail::Envelope env = local_envelope(message);
  auto refuse = [&](const Error& why) {
    own_mail_total.add("unsealable");
    log::error("{} to <{}> not sent: cannot seal it for member {} ({}); own mail to members is never sent plain",
               message.source, message.recipient, group.member->id, why.text);
    if (done) done(std::unexpected(why));
  };
  if (!keys_ || !certificates_) return refuse(Error{550, "5.7.1", "this gateway holds no keys"});
  // A receipt asked for: recorded like a relayed message's (receipt_asking.h).
  std::optional<SealKeeping> keeping;
  SealedCopy kept{group.member->id};
  Sealer::Extras extras;
  if (message.ask_receipt && ledger_) {
    keeping.emplace(config_, ledger_, evidence_, nullptr, env, message_id_of(message.text),
                    static_cast<std::int64_t>(std::time(nullptr)));
    auto request = keeping->request_for({0});
    if (!request) return finished(message, std::unexpected(request.error()), done);
    if (*request) {
      kept.asked = {0};
      extras = {*request, &kept.record, keeping->keeps_evidence() ? &kept.signed_entity : nullptr};
    }
  }
  Sealer sealer(keys_, *certificates_);
  auto sealed = sealer.seal(group, env, message.text, extras);
  if (!sealed) return refuse(sealed.error());
  env.sealed_for = group.member->id;
  env.body_binary = true;  // Sealer::seal writes the CMS as DER
  env.body_8bit = false;
  env.lane = mail::Lane::priority;
  auto writer = spool_.create(env);
  if (!writer) return finished(message, std::unexpected(writer.error()), done);
  if (auto ok = (*writer)->write(sealed->message); !ok) return finished(message, std::unexpected(ok.error()), done);
  log::info("{} to <{}>: sealed for member {} as {}: {}", message.source, message.recipient, group.member->id,
            (*writer)->id(), sealed->summary);
  std::function<void(bool)> after_commit;
  if (!kept.asked.empty()) {
    kept.queue_id = (*writer)->id();
    if (auto ok = keeping->keep(kept); !ok) return finished(message, std::unexpected(ok.error()), done);
    after_commit = keeping->after_commit();
    log::info("{} to <{}>: signed receipt requested (identifier {}, receipts to {})", message.source,
              message.recipient, kept.record.content_identifier, config_.receipt_address());
  }
  spool_.commit_async(std::move(*writer), [this, message, done, after_commit](Result<std::string> r) {
    if (after_commit) after_commit(r.has_value());
    if (r) own_mail_total.add("sealed");
    finished(message, std::move(r), done);
  });
}

}  // namespace sm::gateway
