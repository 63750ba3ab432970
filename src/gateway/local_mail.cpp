// local_mail.cpp - one way into the queue for the gateway's own messages.
#include "gateway/local_mail.h"

#include <ctime>

namespace sm::gateway {

std::string queue_local_message(queue::Spool& spool, const LocalMessage& message,
                         std::function<void(Result<std::string>)> done) {
  mail::Envelope env;
  env.sender = "";  // never bounces back
  env.listener = message.source;
  env.arrival = message.arrival ? message.arrival : static_cast<std::int64_t>(std::time(nullptr));
  env.body_8bit = message.body_8bit;
  mail::Recipient to;
  to.address = message.recipient;
  env.recipients.push_back(to);
  auto writer = spool.create(env);
  if (!writer || !(*writer)->write(message.text)) return {};
  std::string id = (*writer)->id();
  spool.commit_async(std::move(*writer), std::move(done));
  return id;
}

}  // namespace sm::gateway
