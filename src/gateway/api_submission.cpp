// api_submission.cpp - an application's message from the admin API through
// the relay listener's checks and processing (api_submission.h).
#include "gateway/api_submission.h"

#include <asio.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <future>

#include "gateway/outbound.h"
#include "gateway/outbound_resolve.h"
#include "gateway/receiver.h"
#include "gateway/sender_binding.h"
#include "util/log.h"

namespace sm::gateway {
namespace {

// Write the message and commit it on the gateway's event loop (where the
// relay listener's sessions commit, and where the delivery agent is handed
// the id), waiting here for the answer. The sink and the answer are
// shared with the handler, so a loop that stops first leaves nothing dangling.
Result<std::string> deliver_to_sink(asio::any_io_executor loop, std::unique_ptr<smtp::MessageSink> sink,
                                    const std::string& message) {
  if (auto ok = sink->write(message); !ok) return std::unexpected(ok.error());
  std::shared_ptr<smtp::MessageSink> shared = std::move(sink);
  auto answer = std::make_shared<std::promise<Result<std::string>>>();
  auto future = answer->get_future();
  asio::co_spawn(
      loop, [shared]() -> asio::awaitable<Result<std::string>> { co_return co_await shared->commit(); },
      [answer](std::exception_ptr e, Result<std::string> r) {
        answer->set_value(e ? Result<std::string>(std::unexpected(Error{451, "4.3.0", "the message could not be queued"}))
                            : std::move(r));
      });
  if (future.wait_for(std::chrono::minutes(5)) != std::future_status::ready)
    return std::unexpected(Error{451, "4.3.0", "the gateway did not answer in time (it may be stopping)"});
  return future.get();
}

}  // namespace

admin::SubmissionAnswer submit_message(const config::Config& config, Receiver& receiver, asio::any_io_executor loop,
                                       const admin::MessageSubmission& s) {
  admin::SubmissionAnswer a;
  const auto* app = config.application(s.application);
  if (!app) {
    a.refusal = Error{550, "5.7.1", "token " + s.application + " names no [[application]] of this gateway"};
    return a;
  }
  if (s.message.size() > config.limits.max_message_size) {
    a.refusal = Error{552, "5.3.4", "message size exceeds fixed maximum message size"};
    return a;
  }
  mail::Envelope env;
  env.sender = s.sender;
  if (env.sender.empty()) {
    auto from = single_from_address(s.message);
    if (!from) {
      a.refusal = from.error();
      return a;
    }
    env.sender = *from;
  }
  if (auto ok = check_application_sender(*app, "sender", env.sender); !ok) {
    a.refusal = ok.error();
    return a;
  }
  env.body_8bit = std::any_of(s.message.begin(), s.message.end(), [](unsigned char c) { return c >= 0x80; });
  env.arrival = static_cast<std::int64_t>(std::time(nullptr));
  smtp::SessionInfo session;
  session.listener = "relay";
  session.peer_address = s.client;
  session.helo = "api." + app->name;
  session.tls = true;
  session.tls_version = "HTTPS";
  session.tls_cipher = "POST /v1/messages";
  std::vector<admin::SubmittedRecipient> refused;
  for (const auto& address : s.recipients) {
    mail::Recipient rcpt;
    rcpt.address = address;
    if (auto ok = receiver.on_rcpt(session, env, rcpt); !ok) {
      refused.push_back({address, "refused", ok.error().reply()});
      continue;
    }
    env.recipients.push_back(rcpt);
  }
  if (env.recipients.empty()) {
    a.recipients = refused;
    a.refusal = Error{554, "5.5.1", "no valid recipients"};
    return a;
  }
  auto decisions = std::make_shared<Decisions>();
  decisions->dry_run = s.dry_run;
  auto sink = receiver.application_sink(session, env, *app, decisions);
  Result<std::string> id =
      sink ? deliver_to_sink(loop, std::move(*sink), s.message) : Result<std::string>(std::unexpected(sink.error()));
  for (const auto& d : decisions->recipients) a.recipients.push_back({d.address, d.decision, d.detail});
  for (auto& r : refused) a.recipients.push_back(std::move(r));
  if (!id) {
    a.refusal = id.error();
    return a;
  }
  if (!s.dry_run) a.queue_id = *id;
  log::info("api: application {} from [{}]: {} recipient(s){}", app->name, s.client, env.recipients.size(),
            s.dry_run ? ", dry run: nothing queued" : ", queued as " + *id);
  return a;
}

}  // namespace sm::gateway
