// delivery_agent.h - the queue manager and delivery scheduler (Postfix's
// qmgr plus the smtp/local delivery agents, in one event loop).
//
// It takes committed messages (new ones at once, deferred ones when their
// back-off expires), splits each message's pending recipients by next hop,
// and feeds per-destination job queues. Each destination has up to
// max_per_destination connections; a connection carries many messages
// (messages_per_connection). When every job of a message is done, the
// message is finished: removed when no recipient is pending, otherwise
// deferred with exponential back-off until the queue lifetime runs out.
// Failures are reported to the sender as DSNs (via Bouncer).
//
// Everything here runs on the gateway's io_context thread; blocking work
// (Maildir writes with fsync) is moved to a worker pool.
#pragma once

#include <asio.hpp>

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "delivery/smtp_client.h"
#include "delivery/transport.h"
#include "gateway/bouncer.h"
#include "net/dns.h"
#include "queue/retry.h"
#include "queue/spool.h"

namespace sm::gateway {

class DeliveryAgent {
 public:
  DeliveryAgent(asio::io_context& io, queue::Spool& spool, const config::Config& config,
                std::shared_ptr<net::Resolver> resolver, Bouncer& bouncer);

  // Schedule everything in active/ (start-up and "rescan").
  void rescan();
  // A message was just committed: try it now.
  void submit(const std::string& id);
  // Every deferred message becomes due now (`securemail queue flush`).
  void flush();
  // Stop starting new work; in_flight() tells when running jobs are done.
  void stop();
  std::size_t in_flight() const { return inflight_.size(); }
  std::size_t deferred() const { return due_.size(); }

 private:
  struct Job {
    std::string id;
    std::vector<std::size_t> recipients;
  };
  struct Destination {
    delivery::NextHop hop;
    std::deque<Job> jobs;
    int workers = 0;
  };
  struct InFlight {
    queue::QueuedMessage message;
    int outstanding = 0;
    std::vector<std::size_t> newly_failed;
    std::vector<std::size_t> newly_delivered;
  };

  void schedule(const std::string& id, std::int64_t when);
  void wake();
  asio::awaitable<void> scheduler_loop();
  void attempt(const std::string& id);
  void start_workers(Destination& dest);
  asio::awaitable<void> worker(std::string key);
  asio::awaitable<void> deliver_smtp(Destination& dest, std::unique_ptr<delivery::SmtpClient>& client,
                                     int& sent_on_connection, Job job);
  asio::awaitable<void> deliver_maildir(const delivery::NextHop& hop, Job job);
  void record(const std::string& id, const std::vector<delivery::RecipientOutcome>& outcomes,
              const std::string& via, bool final_delivery, bool log_lines);
  void job_done(const std::string& id);
  void finish(InFlight& f);
  delivery::StoredMessage stored(const queue::QueuedMessage& m) const;

  asio::io_context& io_;
  queue::Spool& spool_;
  const config::Config& config_;
  std::shared_ptr<net::Resolver> resolver_;
  Bouncer& bouncer_;
  queue::RetryPolicy retry_;
  delivery::ClientOptions client_options_;
  asio::thread_pool blocking_pool_{2};

  std::map<std::string, InFlight> inflight_;
  std::map<std::string, Destination> destinations_;
  std::map<std::string, std::int64_t> due_;             // deferred id -> due time
  std::multimap<std::int64_t, std::string> due_order_;  // due time -> id (may hold stale entries)
  asio::steady_timer timer_;
  std::size_t connections_ = 0;
  bool stopping_ = false;
};

}  // namespace sm::gateway
