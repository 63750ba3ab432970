// queue_sink.h - where DATA goes on its way into the queue (the
// Receiver's smtp::MessageSink): streamed into a queue file, or held (in
// memory up to 1 MiB, in an uncommitted file beyond) for sealing or opening;
// then its header read strictly, the copies resolved on the crypto pool,
// committed in one batch (fsync) and, for a sealed message that failed,
// the reply held back until its delay has passed. Nothing is acknowledged
// before it is on stable storage.
#pragma once

#include <asio.hpp>
#include <asio/thread_pool.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/replay_cache.h"
#include "mail/envelope.h"
#include "mime/header.h"
#include "queue/spool.h"
#include "smtp/server.h"

namespace sm::gateway {

// A message that is processed (sealed, opened) before it is committed is
// kept in memory up to this size, and goes to a spool file beyond it.
inline constexpr std::size_t kInMemoryLimit = 1u << 20;

// What DATA brought, before it is processed: in memory while small, in a
// spool file (not committed) when large.
struct Received {
  std::string id;                            // the queue id in our Received: field
  std::string message;                       // in memory (file is null)
  std::unique_ptr<queue::SpoolWriter> file;  // spilled: the message is in this file
  Result<std::string> text();
};

// The copies a transaction resolved to, or the reply refusing it.
struct Resolution {
  std::vector<std::unique_ptr<queue::SpoolWriter>> copies;  // to commit; a quarantined one is held_on_commit
  std::shared_ptr<ReplayClaim> claim;      // inbound: seal id pairs to record once committed
  std::string dropped_id;                  // inbound duplicate: nothing to commit, answer with this id
  std::optional<Error> refusal;            // refused, but only after reply_after (sealed failures)
  std::chrono::milliseconds reply_after{0};  // from the end of DATA, for any reply
  // Run on the session's executor once the commit is over, with whether
  // every copy is on disk: what was recorded for the copies before their
  // commit (receipt requests) is taken back when it failed.
  std::function<void(bool committed)> after_commit;
};

// Streams DATA into a spool writer; commit() resolves the copies (on the
// crypto pool when sealing or opening), then waits for the group commit.
class QueueSink : public smtp::MessageSink {
 public:
  using Resolve = std::function<Result<Resolution>(Received)>;

  // writer: the queue file for a message committed as it is (resolve
  // null); or null, and the message is held for resolve: in memory, or in
  // a file for `stored` once it grows past kInMemoryLimit.
  QueueSink(queue::Spool& spool, std::unique_ptr<queue::SpoolWriter> writer, mail::Envelope stored,
            std::string received_field, std::function<void(const std::string&)> committed, Resolve resolve,
            asio::thread_pool* pool)
      : spool_(spool), writer_(std::move(writer)), stored_(std::move(stored)), buffer_(std::move(received_field)),
        committed_(std::move(committed)), resolve_(std::move(resolve)), pool_(pool) {}

  Result<void> write(std::string_view chunk) override;
  asio::awaitable<Result<std::string>> commit() override;

 private:
  // Commit every copy in one batch and wait for all of them; the queue id
  // of the first, or the first error. Nothing to commit: an empty id.
  asio::awaitable<Result<std::string>> commit_copies(asio::any_io_executor exec,
                                                     std::vector<std::unique_ptr<queue::SpoolWriter>> copies,
                                                     ReplayClaim* claim);

  queue::Spool& spool_;
  std::unique_ptr<queue::SpoolWriter> writer_;
  mail::Envelope stored_;
  std::string buffer_;
  mime::HeaderCollector header_;
  std::function<void(const std::string&)> committed_;
  Resolve resolve_;
  asio::thread_pool* pool_;
};


}  // namespace sm::gateway
