// receiver.cpp - relay checks and the queue-backed message sink.
#include "gateway/receiver.h"

#include "mime/header.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::Counter accepted_total("securemail_messages_accepted_total", "Messages accepted (250 after DATA)");
metrics::Counter relay_denied_total("securemail_relay_denied_total", "Recipients refused as relay attempts");

// Streams DATA into a spool writer; commit waits for the group commit.
class QueueSink : public smtp::MessageSink {
 public:
  QueueSink(queue::Spool& spool, std::unique_ptr<queue::SpoolWriter> writer,
            std::function<void(const std::string&)> committed)
      : spool_(spool), writer_(std::move(writer)), committed_(std::move(committed)) {}

  Result<void> write(std::string_view chunk) override { return writer_->write(chunk); }

  asio::awaitable<Result<std::string>> commit() override {
    auto exec = co_await asio::this_coro::executor;
    auto result = co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result<std::string>)>(
        [&](auto handler) {
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          spool_.commit_async(std::move(writer_), [h, exec](Result<std::string> r) mutable {
            asio::post(exec, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
          });
        },
        asio::use_awaitable);
    if (result) {
      accepted_total.add();  // the session logs the accepted message
      committed_(*result);
    }
    co_return result;
  }

 private:
  queue::Spool& spool_;
  std::unique_ptr<queue::SpoolWriter> writer_;
  std::function<void(const std::string&)> committed_;
};

std::string local_part_of(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? address : address.substr(0, at);
}

}  // namespace

Result<void> check_relay(const config::Config& config, const std::string& listener,
                         const std::string& recipient) {
  std::string domain = mail::domain_of(recipient);
  if (domain.empty()) return fail(550, "5.1.3", "recipient address must have a domain");
  if (listener == "relay") return {};
  if (!config.receives_for(domain)) {
    relay_denied_total.add();
    return fail(554, "5.7.1", "<" + recipient + ">: Relay access denied");
  }
  if (local_part_of(recipient).find_first_of("%!@") != std::string::npos) {
    relay_denied_total.add();
    return fail(550, "5.7.1", "<" + recipient + ">: routing characters in the local part are not accepted");
  }
  return {};
}

Receiver::Receiver(const config::Config& config, queue::Spool& spool,
                   std::function<void(const std::string&)> committed)
    : config_(config), spool_(spool), committed_(std::move(committed)) {}

Result<void> Receiver::on_mail(const smtp::SessionInfo&, const mail::Envelope&) { return {}; }

// The session logs the rejection with the client's address.
Result<void> Receiver::on_rcpt(const smtp::SessionInfo& session, const mail::Envelope&,
                               const mail::Recipient& rcpt) {
  return check_relay(config_, session.listener, rcpt.address);
}

Result<std::unique_ptr<smtp::MessageSink>> Receiver::on_data(const smtp::SessionInfo& session,
                                                             const mail::Envelope& env) {
  auto writer = spool_.create(env);
  if (!writer) return std::unexpected(writer.error());
  mime::ReceivedInfo trace;
  trace.helo = session.helo;
  trace.client_address = session.peer_address;
  trace.by = config_.hostname;
  trace.protocol = session.tls ? "ESMTPS" : "ESMTP";
  trace.queue_id = (*writer)->id();
  if (env.recipients.size() == 1) trace.recipient = env.recipients.front().address;
  trace.tls = session.tls ? session.tls_version + " " + session.tls_cipher : "";
  trace.when = env.arrival;
  if (auto w = (*writer)->write(mime::received_header(trace)); !w) return std::unexpected(w.error());
  return std::make_unique<QueueSink>(spool_, std::move(*writer), committed_);
}

}  // namespace sm::gateway
