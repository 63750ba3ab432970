// local_mail.cpp - one way into the queue for the gateway's own messages.
#include "gateway/local_mail.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

namespace sm::gateway {

std::string read_queued(const queue::QueuedMessage& m, std::size_t limit) {
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(limit, m.envelope.size));
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

mail::Envelope local_envelope(const LocalMessage& message) {
  mail::Envelope env;
  env.sender = message.sender;  // "" (almost always): never bounces back
  env.listener = message.source;
  env.arrival = message.arrival ? message.arrival : static_cast<std::int64_t>(std::time(nullptr));
  env.body_8bit = message.body_8bit;
  mail::Recipient to;
  to.address = message.recipient;
  env.recipients.push_back(to);
  return env;
}

Result<std::unique_ptr<queue::SpoolWriter>> write_local_message(queue::Spool& spool, const LocalMessage& message) {
  auto writer = spool.create(local_envelope(message));
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
