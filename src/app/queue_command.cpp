// queue_command.cpp - list, show, flush, hold, release and delete queued
// messages, on a running or a stopped gateway. The daemon owns the queue's
// segment log while it runs: list and show then read the segments (a tail
// being written is ignored), and changes go through its control socket
// ("hold ID"...), which answers ok or why not. When no gateway runs, the
// command takes the data folder lock (so a starting gateway cannot race
// it) and changes the queue itself. It never creates a queue: on a folder
// without one it says so.
#include "app/queue_command.h"

#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/data_lock.h"
#include "admin/queue_view.h"
#include "app/load_config.h"
#include "gateway/control_socket.h"
#include "queue/spool.h"

namespace fs = std::filesystem;

namespace sm::app {
namespace {

struct QueueArgs {
  std::string config_file;
  std::string id;
  bool json = false;
};

std::string arrival_text(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S", std::localtime(&tt));
  return buf;
}

int list(queue::Spool& spool, bool json) {
  auto messages = admin::listed_messages(spool);
  nlohmann::json all = nlohmann::json::array();
  std::uint64_t bytes = 0;
  if (!json && !messages.empty()) std::cout << "-Queue ID-       --Size-- ----Arrival Time---- -Sender/Recipient-------\n";
  for (const auto& m : messages) {
    const std::string& id = m.envelope.id;
    bytes += m.envelope.size;
    if (json) {
      all.push_back(admin::message_json(m, std::time(nullptr)));
      continue;
    }
    std::printf("%-16s%s %8llu %20s  %s%s\n", id.c_str(), m.held ? "!" : " ",
                static_cast<unsigned long long>(m.envelope.size), arrival_text(m.envelope.arrival).c_str(),
                m.envelope.sender.empty() ? "MAILER-DAEMON" : m.envelope.sender.c_str(),
                m.envelope.sealed_for.empty() ? "" : ("  [sealed for " + m.envelope.sealed_for + "]").c_str());
    if (m.held && m.envelope.strong_hold_until)
      std::printf("%47s(held: recipient has no strong authentication; returned after %s)\n", "",
                  arrival_text(m.envelope.strong_hold_until).c_str());
    for (const auto& r : m.envelope.recipients) {
      if (r.state != mail::RecipientState::pending) continue;
      if (!r.last_reply.empty()) std::printf("%47s(%s)\n", "", r.last_reply.c_str());
      std::printf("%47s%s\n", "", r.address.c_str());
    }
    std::cout << "\n";
  }
  if (json) std::cout << all.dump(2) << "\n";
  else if (messages.empty()) std::cout << "Mail queue is empty (" << spool.root().string() << ")\n";
  else std::cout << "-- " << (bytes + 1023) / 1024 << " Kbytes in " << messages.size() << " Request"
                 << (messages.size() == 1 ? "" : "s") << " (" << spool.root().string() << ").\n";
  return 0;
}

int show(queue::Spool& spool, const std::string& id, bool json) {
  auto m = spool.load(id);
  if (m && m->envelope.discreet) m = fail(550, "5.1.0", "no such message in the queue: " + id);  // as if it were not there
  if (!m) {
    std::cerr << "securemail queue show: " << m.error().text << "\n";
    return 1;
  }
  if (json) {
    std::cout << admin::message_json(*m, std::time(nullptr)).dump(2) << "\n";
    return 0;
  }
  std::cout << "*** ENVELOPE RECORDS " << id << (m->held ? " (held)" : "") << " ***\n"
            << "sender: " << m->envelope.sender << "\narrival: " << arrival_text(m->envelope.arrival)
            << "\nsize: " << m->envelope.size << "\nattempts: " << m->state.attempts
            << "\nlane: " << mail::to_string(m->envelope.lane)
            << (m->envelope.sealed_for.empty() ? "" : "\nsealed for: member " + m->envelope.sealed_for) << "\n";
  for (const auto& r : m->envelope.recipients)
    std::cout << "recipient: " << r.address << " (" << admin::recipient_state(r.state) << ")"
              << (r.last_reply.empty() ? "" : " " + r.last_reply) << "\n";
  std::cout << "*** MESSAGE CONTENTS " << id << " ***\n";
  std::ifstream in(m->path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(m->body_offset));
  // Only the message: its segment goes on with other records.
  std::vector<char> buf(64 * 1024);
  for (std::uint64_t left = m->envelope.size; left > 0 && in;) {
    in.read(buf.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(left, buf.size())));
    std::cout.write(buf.data(), in.gcount());
    left -= static_cast<std::uint64_t>(in.gcount());
  }
  return 0;
}

// The queue as this command may use it: the gateway's (running: read it,
// ask it for changes) or its own (stopped: the lock is held meanwhile).
struct QueueAccess {
  std::optional<app::DataFolderLock> lock;   // held: no gateway runs (released after the spool closes)
  std::unique_ptr<queue::Spool> spool;       // null when a change must go to the running gateway
  bool running = false;
};

// Move every deferred message's next attempt to now: a running gateway
// does it itself; a stopped one delivers them at its next start.
int flush(QueueAccess& q, const config::Config& config) {
  if (q.running) {
    if (!gateway::notify_running_gateway(config.data_dir, "flush")) {
      std::cerr << "securemail queue flush: the gateway runs but its control socket does not answer\n";
      return 1;
    }
    return 0;
  }
  for (const auto& id : q.spool->active_ids()) {
    auto m = q.spool->load(id);
    if (!m || m->state.next_attempt == 0) continue;
    m->state.next_attempt = 0;
    q.spool->save_state(*m);
  }
  if (auto r = q.spool->sync(); !r) {
    std::cerr << "securemail queue flush: " << r.error().text << "\n";
    return 1;
  }
  std::cerr << "securemail queue flush: gateway not running; messages are due at its next start\n";
  return 0;
}

int change(QueueAccess& q, const config::Config& config, const std::string& what, const std::string& id) {
  Result<void> r;
  if (q.running) {
    auto reply = gateway::ask_running_gateway(config.data_dir, what + " " + id);
    if (!reply) r = local_error("the gateway runs but its control socket does not answer; try again");
    else if (*reply != "ok") r = local_error(reply->starts_with("error ") ? reply->substr(6) : *reply);
  } else {
    r = what == "hold" ? q.spool->hold(id) : what == "release" ? q.spool->release(id) : q.spool->remove(id);
    if (r) r = q.spool->sync();
  }
  if (!r) {
    std::cerr << "securemail queue " << what << ": " << r.error().text << "\n";
    return 1;
  }
  std::cerr << "securemail queue " << what << ": " << id << "\n";
  return 0;
}

}  // namespace

void add_queue_command(CLI::App& app, std::function<int()>& action) {
  auto args = std::make_shared<QueueArgs>();
  CLI::App* q = app.add_subcommand("queue", "Inspect and manage the mail queue (running or stopped gateway)");
  q->require_subcommand(1);
  q->add_option("-c,--config", args->config_file, "Config file (default: the embedded default)");
  q->fallthrough();
  // changes: the command changes the queue (hold, release, delete, flush).
  auto with_queue = [args](bool changes, std::function<int(QueueAccess&, const config::Config&)> fn) {
    return [args, changes, fn]() -> int {
      auto cfg = load_config(args->config_file);
      if (!cfg) return 2;
      fs::path root = cfg->data_dir / "queue";
      auto where = [&] {
        return " (data_dir " + cfg->data_dir.string() + " from " + cfg->source +
               (args->config_file.empty() ? "; give the gateway's config with --config FILE" : "") + ")";
      };
      // Never create a queue: a command run in the wrong folder (or without
      // the gateway's --config) must say where it looked, not report an
      // empty queue it has just made.
      if (auto there = queue::Spool::check_existing(root); !there) {
        std::cerr << "securemail queue: " << there.error().text << where() << "\n";
        return 1;
      }
      QueueAccess q;
      auto lock = app::DataFolderLock::acquire(cfg->data_dir);
      if (lock) {
        q.lock.emplace(std::move(*lock));
        auto spool = queue::Spool::open_existing(root, queue::Spool::Access::read_write);
        if (spool) {
          q.spool = std::move(*spool);
        } else if (changes) {
          std::cerr << "securemail queue: " << spool.error().text << where() << "\n";
          return 1;
        }  // else read it below (a read-only queue folder)
      } else if (lock.error().in_use) {
        q.running = true;
      } else if (changes) {
        std::cerr << "securemail queue: " << lock.error().text << "\n";
        return 1;
      }
      if (!q.spool && !changes) {
        // Reading needs no write access (a read-only folder, a running gateway).
        auto spool = queue::Spool::open_existing(root, queue::Spool::Access::read_only);
        if (!spool) {
          std::cerr << "securemail queue: " << spool.error().text << where() << "\n";
          return 1;
        }
        q.spool = std::move(*spool);
      }
      return fn(q, *cfg);
    };
  };
  auto* l = q->add_subcommand("list", "List queued messages (like mailq)");
  l->add_flag("--json", args->json, "Machine-readable output");
  l->callback([&action, with_queue, args] {
    action = with_queue(false, [args](QueueAccess& q, const config::Config&) { return list(*q.spool, args->json); });
  });
  auto* s = q->add_subcommand("show", "Show one message: envelope, delivery state, contents");
  s->add_option("ID", args->id, "Queue id")->required();
  s->add_flag("--json", args->json, "Envelope and state as JSON, without contents");
  s->callback([&action, with_queue, args] {
    action = with_queue(false, [args](QueueAccess& q, const config::Config&) { return show(*q.spool, args->id, args->json); });
  });
  q->add_subcommand("flush", "Attempt delivery of every deferred message now")->callback([&action, with_queue] {
    action = with_queue(true, [](QueueAccess& q, const config::Config& c) { return flush(q, c); });
  });
  for (const char* what : {"hold", "release", "delete"}) {
    std::string help = std::string(what) == "hold"      ? "Keep a message from delivery until released"
                       : std::string(what) == "release" ? "Return a held message to delivery"
                                                        : "Remove a message from the queue (no bounce)";
    auto* c = q->add_subcommand(what, help);
    c->add_option("ID", args->id, "Queue id")->required();
    c->callback([&action, with_queue, args, w = std::string(what)] {
      action = with_queue(true, [args, w](QueueAccess& q, const config::Config& cfg) { return change(q, cfg, w, args->id); });
    });
  }
}

}  // namespace sm::app
