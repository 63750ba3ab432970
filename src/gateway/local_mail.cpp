// local_mail.cpp - one way into the queue for the gateway's own messages.
#include "gateway/local_mail.h"

#include <ctime>

namespace sm::gateway {

Result<std::unique_ptr<queue::SpoolWriter>> write_local_message(queue::Spool& spool, const LocalMessage& message) {
  mail::Envelope env;
  env.sender = "";  // never bounces back
  env.listener = message.source;
  env.arrival = message.arrival ? message.arrival : static_cast<std::int64_t>(std::time(nullptr));
  env.body_8bit = message.body_8bit;
  mail::Recipient to;
  to.address = message.recipient;
  env.recipients.push_back(to);
  auto writer = spool.create(env);
  if (!writer) return std::unexpected(writer.error());
  if (auto ok = (*writer)->write(message.text); !ok) return std::unexpected(ok.error());
  return writer;
}

std::string queue_local_message(queue::Spool& spool, const LocalMessage& message,
                         std::function<void(Result<std::string>)> done) {
  auto writer = write_local_message(spool, message);
  if (!writer) return {};
  std::string id = (*writer)->id();
  spool.commit_async(std::move(*writer), std::move(done));
  return id;
}

}  // namespace sm::gateway
