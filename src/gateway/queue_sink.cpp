// queue_sink.cpp - streaming DATA, the strict header check, resolving,
// the batch commit and the held-back reply (see queue_sink.h).
#include "gateway/queue_sink.h"

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>

#include "util/log.h"
#include "util/metrics.h"

namespace sm::gateway {
namespace {

metrics::CounterFamily accepted_total("securemail_messages_accepted_total",
                                      "Messages accepted (250 after DATA), copies committed, by listener", {"listener"},
                                      {{"relay", "inbound", "submission", "submissions"}});

}  // namespace

Result<std::string> Received::text() {
  if (!file) return std::move(message);
  return file->read_message();
}

Result<void> QueueSink::write(std::string_view chunk) {
  header_.append(chunk);
  if (writer_) return writer_->write(chunk);
  if (buffer_.size() + chunk.size() <= kInMemoryLimit) {
    buffer_.append(chunk);
    return {};
  }
  auto w = spool_.create(stored_);
  if (!w) return std::unexpected(w.error());
  writer_ = std::move(*w);
  if (auto ok = writer_->write(buffer_); !ok) return ok;
  std::string().swap(buffer_);
  return writer_->write(chunk);
}

asio::awaitable<Result<std::string>> QueueSink::commit() {
  auto exec = co_await asio::this_coro::executor;
  const auto data_end = std::chrono::steady_clock::now();
  // One strict header reader for every message on every listener: a
  // header that mail readers could read differently is never accepted.
  if (auto header = header_.parse(); !header) {
    log::warn("{}: refused: {}", stored_.id, header.error().text);
    co_return std::unexpected(header.error());
  }
  Resolution resolution;
  if (!resolve_) {
    resolution.copies.push_back(std::move(writer_));
  } else {
    co_await asio::post(pool_->get_executor(), asio::use_awaitable);
    auto r = resolve_(Received{stored_.id, std::move(buffer_), std::move(writer_)});
    co_await asio::post(exec, asio::use_awaitable);
    if (!r) co_return std::unexpected(r.error());
    resolution = std::move(*r);
  }
  auto result = co_await commit_copies(exec, std::move(resolution.copies), resolution.claim.get());
  if (resolution.after_commit) resolution.after_commit(result.has_value());
  if (resolution.reply_after.count() > 0) {
    asio::steady_timer wait(exec, data_end + resolution.reply_after);
    std::error_code ignored;
    co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (resolution.refusal) co_return std::unexpected(*resolution.refusal);
  if (result && result->empty()) co_return resolution.dropped_id;
  co_return result;
}

asio::awaitable<Result<std::string>> QueueSink::commit_copies(asio::any_io_executor exec,
                                                              std::vector<std::unique_ptr<queue::SpoolWriter>> copies,
                                                              ReplayClaim* claim) {
  if (copies.empty()) co_return std::string();
  std::vector<bool> held;
  std::vector<Result<std::string>> results(copies.size(), std::unexpected(Error{}));
  for (auto& c : copies) held.push_back(c->held());
  auto remaining = std::make_shared<std::size_t>(copies.size());
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      [&](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        for (std::size_t i = 0; i < copies.size(); ++i)
          spool_.commit_async(std::move(copies[i]), [h, exec, remaining, &results, i](Result<std::string> r) {
            asio::post(exec, [h, remaining, &results, i, r = std::move(r)]() mutable {
              results[i] = std::move(r);
              if (--*remaining == 0) (*h)();
            });
          });
      },
      asio::use_awaitable);
  std::optional<Error> failed;
  std::string first;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i]) {
      failed = results[i].error();
      continue;
    }
    accepted_total.add({stored_.listener.empty() ? std::string("other") : stored_.listener});
    if (first.empty()) first = *results[i];
    if (!held[i]) committed_(*results[i]);
  }
  if (failed) {
    if (!first.empty()) log::warn("{}: some copies were queued before another failed; the client will retry them all", first);
    co_return std::unexpected(*failed);
  }
  if (claim) claim->commit();
  co_return first;
}

}  // namespace sm::gateway
