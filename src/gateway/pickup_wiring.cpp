// pickup_wiring.cpp - secure pickup wired into the gateway (see
// pickup_wiring.h).
#include "gateway/pickup_wiring.h"

#include <algorithm>

#include "gateway/local_mail.h"
#include "util/log.h"

namespace sm::gateway {
namespace {

// Write `text` once per envelope, then commit each (on stable storage when
// it returns) and hand its id on. A copy not committed is dropped.
Result<void> queue_copies(queue::Spool& spool, const std::function<void(const std::string&)>& committed,
                          const std::vector<mail::Envelope>& envelopes, const std::string& text) {
  std::vector<std::unique_ptr<queue::SpoolWriter>> writers;
  for (const auto& env : envelopes) {
    auto writer = spool.create(env);
    if (!writer) return std::unexpected(writer.error());
    if (auto ok = (*writer)->write(text); !ok) return std::unexpected(ok.error());
    writers.push_back(std::move(*writer));
  }
  for (auto& writer : writers) {
    auto id = spool.commit(std::move(writer));
    if (!id) return std::unexpected(id.error());
    committed(*id);
  }
  return {};
}

bool eight_bit(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return c >= 0x80; });
}

}  // namespace

std::vector<mail::Envelope> reply_routes(const config::Config& config, const pickup::Reply& r) {
  mail::Envelope local = local_envelope({"pickup-reply", "", r.text, 0, eight_bit(r.text), r.author});
  local.recipients.clear();
  mail::Envelope held = local;
  held.pickup = true;
  for (const auto& address : r.recipients) {
    mail::Recipient to;
    to.address = address;
    (config.receives_for(mail::domain_of(address)) ? local : held).recipients.push_back(to);
  }
  std::vector<mail::Envelope> routes;
  for (auto* env : {&local, &held})
    if (!env->recipients.empty()) routes.push_back(std::move(*env));
  return routes;
}

PickupWiring::PickupWiring(std::unique_ptr<pickup::Service> service)
    : service_(std::move(service)),
      https_("pickup", std::string(pickup::kSessionCookie),
             [this](const admin::WebRequest& r) { return service_->site().handle(r); }) {
  https_.set_log_path(&pickup::Site::loggable);
}

Result<std::unique_ptr<PickupWiring>> PickupWiring::start(const config::Config& config, queue::Spool& spool,
                                                          const std::function<void(const std::string&)>& committed,
                                                          DeliveryAgent& agent, const std::filesystem::path& tls_cert,
                                                          const std::filesystem::path& tls_key,
                                                          std::map<std::string, std::string>& bound) {
  const auto& p = config.pickup;
  if (!p.enabled()) return nullptr;
  pickup::ServiceOptions o;
  o.public_url = p.public_url;
  o.expiry = p.expiry;
  o.lock_for = p.lock_for;
  o.show_subject = p.show_subject;
  o.pdf_password_to_sender = p.pdf_password_to == config::Config::Pickup::PdfPasswordTo::sender;
  o.accounts = p.accounts;
  o.account_idle = p.account_idle;
  o.send = [&spool, committed](const pickup::Outgoing& m) -> Result<void> {
    LocalMessage local{"pickup", m.recipient, m.text, 0, eight_bit(m.text), m.envelope_sender};
    return queue_copies(spool, committed, {local_envelope(local)}, m.text);
  };
  o.replies = p.replies;
  o.reply_max_size = p.reply_max_size;
  o.send_reply = [&spool, &config, committed](const pickup::Reply& r) -> Result<void> {
    return queue_copies(spool, committed, reply_routes(config, r), r.text);
  };
  auto service = pickup::Service::open(config.data_dir, config.domain, std::move(o));
  if (!service) return std::unexpected(service.error());
  auto wiring = std::make_unique<PickupWiring>(std::move(*service));
  pickup::Service* svc = wiring->service_.get();
  const std::uint64_t limit = config.limits.max_message_size + (1u << 20);
  agent.pickup_into([svc, &config, limit](const queue::QueuedMessage& m, const delivery::StoredMessage&,
                                          std::size_t index) -> Result<std::string> {
    std::string text = read_queued(m, limit);
    if (text.empty()) return std::unexpected(Error{451, "4.3.0", "the queued message cannot be read"});
    std::string from_domain = mail::domain_of(m.envelope.sender);
    if (!config.receives_for(from_domain)) from_domain = config.domain;
    auto ref = svc->hold(text, m.envelope.sender, m.envelope.recipients.at(index).address, from_domain,
                         m.envelope.pickup_pdf);
    if (!ref) return std::unexpected(ref.error());
    return "250 2.0.0 held for secure pickup as " + *ref + "; the recipient was notified" +
           (m.envelope.pickup_pdf ? " (with PDF)" : "");
  });
  if (p.replies != config::Config::Pickup::Replies::none)  // a reply's upload; larger: 413, not even read
    wiring->https_.allow_large_body("/read/reply", p.reply_max_size + (64u << 10),
                                pickup::notice_page("Reply too large", "A reply and its attachment may be " +
                                                                           std::to_string(p.reply_max_size >> 10) +
                                                                           " KB at most. Nothing was sent."));
  const auto& cert = p.cert.empty() ? tls_cert : p.cert;
  const auto& key = p.key.empty() ? tls_key : p.key;
  auto port = wiring->https_.listen(p.listen.host, p.listen.port, cert, key);
  if (!port) return std::unexpected(port.error());
  bound["pickup"] = config::Endpoint{p.listen.host, static_cast<std::uint16_t>(*port)}.str();
  return wiring;
}

}  // namespace sm::gateway
