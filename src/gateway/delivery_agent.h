// delivery_agent.h - the queue manager and delivery scheduler (Postfix's
// qmgr plus the smtp/local delivery agents, in one event loop).
//
// It takes committed messages (new ones at once, deferred ones when their
// back-off expires), splits each message's pending recipients by next hop,
// and feeds per-destination job queues. When every job of a message is
// done, the message is finished: removed when no recipient is pending,
// otherwise deferred with exponential back-off until the queue lifetime
// runs out. Failures are reported to the sender as DSNs (via Bouncer).
//
// Connections per destination (qmgr's concurrency scheduler, see
// delivery/concurrency.h): a destination starts with
// delivery.initial_per_destination connections, grows by one per window of
// deliveries up to delivery.max_per_destination and shrinks on connection
// failures. A worker opens its session BEFORE it takes a job, so a peer
// that accepts TCP and never greets holds a worker, never a message: the
// jobs stay queued for the sessions that work, and new mail gets a
// connection attempt of its own rather than waiting for workers still
// connecting (they may never get a greeting). A destination
// is declared dead (what is queued for it deferred, new mail for it
// deferred at once for queue.min_backoff) only when its failures add up
// while no session to it is open - never because one of several parallel
// connections timed out while others deliver. A connection (and Maildir
// writer) carries many messages (messages_per_connection).
//
// Sealed mail (Envelope::sealed_for) goes to one destination only, the
// member's gateway from the directory, over TLS pinned to the member's
// certificates and showing our gateway certificate; when the member is
// missing or suspended it waits (4.7.5) and never takes another route.
//
// Lanes: priority mail (Envelope::lane) is attempted first when several
// messages are due, is taken before normal mail at every destination, and
// has delivery.priority_connections of delivery.max_connections kept for
// it: a normal job never takes one of the last priority_connections slots.
//
// stop() (SIGTERM): no transaction starts after it. Jobs still queued go
// back to the queue untouched (due at once on the next start), connections
// still being opened are given up, and the transactions on the wire
// finish; in_flight() counts them down to zero.
//
// Everything here runs on the gateway's io_context thread; blocking work
// (Maildir writes with fsync) is moved to a worker pool.
#pragma once

#include <asio.hpp>

#include <deque>
#include <list>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "config/config.h"
#include "delivery/concurrency.h"
#include "delivery/smtp_client.h"
#include "delivery/transport.h"
#include "directory/directory.h"
#include "gateway/bouncer.h"
#include "gateway/member_certs.h"
#include "net/dns.h"
#include "queue/retry.h"
#include "queue/spool.h"
#include "queue/waiting.h"

namespace sm::gateway {

// What delivering sealed mail to member gateways needs.
struct MemberDelivery {
  std::function<std::shared_ptr<const directory::Directory>()> directory;  // null or returning null: no directory
  std::filesystem::path client_cert, client_key;  // our gateway certificate, presented as TLS client certificate; empty: none
  MemberCertificates* certificates = nullptr;     // the gateway's parsed-certificate cache; null: the agent keeps its own
};

class DeliveryAgent {
 public:
  DeliveryAgent(asio::io_context& io, queue::Spool& spool, const config::Config& config,
                std::shared_ptr<net::Resolver> resolver, Bouncer& bouncer, MemberDelivery members = {});

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
  // Outbound connections (and Maildir writers) open now; of them, how many
  // occupy a slot kept for priority mail.
  std::size_t connections() const { return connections_; }
  std::size_t priority_only_connections() const { return reserved_in_use_; }

  // Signed receipts (issue 13): for a message carrying a receipt duty
  // (Envelope::receipt), called when an attempt is finished with the
  // recipients handed over with success in it (Maildir file written, or a
  // 2xx from the next hop - for such a message our internal server). On
  // the event loop: copy what is needed and return.
  using HandedOver = std::function<void(const queue::QueuedMessage&, const std::vector<std::size_t>&)>;
  void on_handed_over(HandedOver hook) { handed_over_ = std::move(hook); }
  // For a copy sealed to a member (Envelope::sealed_for): the recipients
  // that failed for good in an attempt (bounced to the sender), so no
  // receipt is awaited for them. Same threading as on_handed_over.
  void on_sealed_failed(HandedOver hook) { sealed_failed_ = std::move(hook); }
  // Discreet copies (Envelope::discreet: interception): no log line names
  // them or their recipient; each recipient delivered or failed for good is
  // an audit entry (intercept.copy.delivered / .failed, reference = ENVID).
  void audit_discreet_in(std::shared_ptr<audit::AuditTrail> trail) { audit_ = std::move(trail); }
  // Secure pickup (Envelope::pickup): keep recipient `index` of the message
  // in the pickup store and notify it; "250 ..." or the error (4xx: tried
  // again later). Runs on a worker thread. Unset: such copies wait (4.3.5).
  using PickupStore =
      std::function<Result<std::string>(const queue::QueuedMessage&, const delivery::StoredMessage&, std::size_t index)>;
  void pickup_into(PickupStore store) { pickup_store_ = std::move(store); }

 private:
  struct Job {
    std::string id;
    std::vector<std::size_t> recipients;
    mail::Lane lane = mail::Lane::normal;
  };
  struct Destination {
    std::vector<delivery::NextHop> hops;  // tried in order when connecting fails
    delivery::ClientOptions options;
    std::string member;                   // sealed mail: the member id; empty: plain
    std::deque<Job> priority, normal;     // priority jobs are always taken first
    std::size_t workers = 0;
    std::size_t reserved_workers = 0;     // of workers, those in a priority-only slot
    std::size_t connecting = 0;           // of workers, those still opening a session (no job)
    std::size_t sessions = 0;             // of workers, those with an established session
    delivery::DestinationConcurrency concurrency{1, 1};  // set when the destination is made
    std::set<delivery::SmtpClient*> opening;  // clients in connect(): stop() gives them up
    std::chrono::steady_clock::time_point suspended_until;  // while dead: new mail deferred until then
    Error suspended_why;
    // Workers holding an open connection with nothing to send, waiting a
    // moment for the next job (Postfix's connection cache): woken by a new job.
    std::list<asio::steady_timer*> idle;
    std::size_t jobs() const { return priority.size() + normal.size(); }
    bool local() const {
      return hop().kind == delivery::NextHop::Kind::maildir || hop().kind == delivery::NextHop::Kind::pickup;
    }
    const delivery::NextHop& hop() const { return hops.front(); }
    // The key in destinations_ and the relay= of log lines without a host.
    std::string name() const { return member.empty() ? hop().to_string() : "member:" + member; }
  };
  struct InFlight {
    queue::QueuedMessage message;
    int outstanding = 0;
    bool cut_short = false;  // a job was given back at stop(): not a real attempt
    std::vector<std::size_t> newly_failed;
    std::vector<std::size_t> newly_delivered;
    std::vector<std::size_t> handed_over;  // every success of this attempt (final or not)
  };
  struct Due {
    std::int64_t when = 0;
    mail::Lane lane = mail::Lane::normal;
    std::int64_t arrival = 0;
  };

  // Scheduling (delivery_agent.cpp).
  void schedule(const std::string& id, std::int64_t when, mail::Lane lane, std::int64_t arrival);
  void wake();
  asio::awaitable<void> scheduler_loop();
  void attempt(const std::string& id);
  void enqueue(Destination& dest, Job job);
  void defer_unroutable(InFlight f, const std::vector<std::size_t>& recipients, const Error& why);
  std::string plain_destination(const std::string& recipient);
  std::string pickup_destination();
  Result<std::string> member_destination(const std::string& member_id);
  Destination& destination(const std::string& key);
  void wait(const std::string& id, mail::Lane lane, std::int64_t arrival);

  // Connection slots and workers (delivery_agent_workers.cpp).
  bool normal_slot_free() const;
  std::size_t window(const Destination& dest) const;
  void start_workers(Destination& dest, bool new_job);
  void start_all_workers();
  asio::awaitable<void> worker(std::string key, bool reserved);
  bool next_job(Destination& dest, bool& reserved, Job& job);
  asio::awaitable<bool> open_session(Destination& dest, std::unique_ptr<delivery::SmtpClient>& client);
  asio::awaitable<Result<void>> open_connection(Destination& dest, std::unique_ptr<delivery::SmtpClient>& client);
  asio::awaitable<void> deliver_smtp(Destination& dest, delivery::SmtpClient& client, Job job);
  asio::awaitable<void> deliver_maildir(const delivery::NextHop& hop, Job job);
  asio::awaitable<void> deliver_pickup(Job job);
  void suspend(Destination& dest, const Error& why);

  // Outcomes (delivery_agent_outcomes.cpp).
  void defer_jobs(const std::string& via, std::vector<Job> jobs, const Error& why);
  std::vector<Job> take_queued(Destination& dest);
  void record(const std::string& id, const std::vector<delivery::RecipientOutcome>& outcomes,
              const std::string& via, bool final_delivery, bool log_lines);
  void job_done(const std::string& id);
  void finish(InFlight& f);
  void warn_delayed(InFlight& f, std::int64_t now);
  delivery::StoredMessage stored(const queue::QueuedMessage& m) const;
  bool discreet(const std::string& id) const;
  void audit_discreet(const InFlight& f, std::size_t index, std::string_view action, const std::string& via);

  asio::io_context& io_;
  queue::Spool& spool_;
  const config::Config& config_;
  std::shared_ptr<net::Resolver> resolver_;
  Bouncer& bouncer_;
  MemberDelivery members_;
  MemberCertificates own_certs_;       // used when MemberDelivery::certificates is null
  MemberCertificates& member_certs_;
  queue::RetryPolicy retry_;
  delivery::ClientOptions client_options_;
  std::shared_ptr<asio::ssl::context> member_tls_;  // presents our gateway certificate
  asio::thread_pool blocking_pool_{2};

  std::map<std::string, InFlight> inflight_;
  std::map<std::string, Destination> destinations_;
  std::map<std::string, Due> due_;                      // deferred id -> due time and lane
  std::multimap<std::int64_t, std::string> due_order_;  // due time -> id (may hold stale entries)
  asio::steady_timer timer_;
  std::size_t connections_ = 0;
  std::size_t reserved_in_use_ = 0;  // connections in a slot kept for priority mail
  std::size_t normal_limit_ = 1;     // connections a normal job may use
  queue::WaitingMessages waiting_;    // messages due or in flight, by lane
  HandedOver handed_over_;
  HandedOver sealed_failed_;
  std::shared_ptr<audit::AuditTrail> audit_;
  PickupStore pickup_store_;
  bool stopping_ = false;
};

}  // namespace sm::gateway
