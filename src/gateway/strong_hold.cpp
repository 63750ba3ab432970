// strong_hold.cpp - holding and returning verified inbound mail for local
// accounts that cannot sign in strongly, and the scan that releases or
// returns it later (see strong_hold.h).
#include "gateway/strong_hold.h"

#include <algorithm>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/redirect_error.hpp>
#include <ctime>
#include <random>

#include "gateway/local_mail.h"
#include "mime/header.h"
#include "policy/strength.h"
#include "util/log.h"

namespace sm::gateway {
namespace {

// Addresses echoed into the notice: printable ASCII only.
std::string printable_address(std::string_view a) {
  std::string out;
  for (char c : a) out += (c > ' ' && c < 127 && c != '<' && c != '>') ? c : '?';
  return out.empty() ? "<>" : out;
}

std::string compose_notice(const config::Config& config, const mail::Envelope& held, std::string_view member) {
  const std::string to = printable_address(held.recipients.front().address);
  const std::string from = printable_address(held.sender);
  std::int64_t now = std::time(nullptr);
  std::string m;
  m += "From: \"SecureMail gateway\" <MAILER-DAEMON@" + config.hostname + ">\r\n";
  m += "To: <" + to + ">\r\n";
  m += mime::fold("Subject: Waiting for your second factor: a message from " + from);
  m += "Date: " + mime::format_date(now) + "\r\n";
  m += "Message-ID: <" + std::to_string(now) + ".strong-hold." + std::to_string(std::random_device{}()) + "@" +
       config.hostname + ">\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
  m += "A message from " + from + " (signed by member " + std::string(member) + ") may only be read\r\n";
  m += "by someone who signs in with a second factor, and your mailbox has none yet.\r\n\r\n";
  m += "It waits until you enrol one (a one-time code app, or a device password\r\n";
  m += "created after a strong sign-in). If you have not by\r\n";
  m += mime::format_date(held.strong_hold_until) + ", it is returned to its sender.\r\n";
  return m;
}

std::int64_t now_unix() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace

Error no_strong_authentication() { return Error{550, "5.7.9", "recipient has no strong authentication"}; }

std::vector<std::size_t> StrengthSplit::pick(const std::vector<std::size_t>& group, Fate f) const {
  std::vector<std::size_t> out;
  for (auto i : group)
    if ((i < fate.size() ? fate[i] : Fate::deliver) == f) out.push_back(i);
  return out;
}

std::vector<std::pair<std::vector<std::size_t>, StrengthSplit::Fate>> StrengthSplit::copies(
    const std::vector<std::size_t>& group) const {
  std::vector<std::pair<std::vector<std::size_t>, Fate>> out;
  if (auto now = pick(group, Fate::deliver); !now.empty()) out.emplace_back(std::move(now), Fate::deliver);
  for (auto i : pick(group, Fate::hold)) out.push_back({{i}, Fate::hold});
  if (auto back = pick(group, Fate::return_); !back.empty()) out.emplace_back(std::move(back), Fate::return_);
  return out;
}

Result<std::unique_ptr<StrongHolds>> StrongHolds::open(const config::Config& config, queue::Spool& spool, Bouncer& bouncer) {
  auto accounts = auth::AccountStore::open(config.data_dir);
  if (!accounts) return std::unexpected(accounts.error());
  return std::make_unique<StrongHolds>(config, spool, bouncer, std::shared_ptr<auth::AccountStore>(std::move(*accounts)));
}

StrongHolds::StrongHolds(const config::Config& config, queue::Spool& spool, Bouncer& bouncer,
                         std::shared_ptr<auth::AccountStore> accounts)
    : config_(config), spool_(spool), bouncer_(bouncer), accounts_(std::move(accounts)) {}

Result<bool> StrongHolds::strong_capable(const std::string& address) const {
  auto owner = accounts_->owner_of(address);
  if (!owner) return std::unexpected(owner.error());
  if (!*owner) return true;  // no account of ours: nothing to wait for
  auto account = accounts_->find(**owner);
  if (!account) return std::unexpected(account.error());
  return !*account || (*account)->strong_capable();
}

Result<StrengthSplit> StrongHolds::split(const mail::Envelope& env, const std::vector<std::size_t>& recipients,
                                         std::string_view member, const policy::Marking& marking) const {
  StrengthSplit s;
  s.fate.assign(env.recipients.size(), StrengthSplit::Fate::deliver);
  if (config_.strong_auth.empty()) return s;
  for (auto i : recipients) {
    const std::string& to = env.recipients.at(i).address;
    const auto* rule = policy::needs_strong(config_, env.sender, to, member, policy::MarkingLevel::of(marking));
    if (!rule) continue;
    auto capable = strong_capable(to);
    if (!capable) return fail(451, "4.3.0", "cannot read the accounts now; try again later");
    if (*capable) continue;
    bool hold = rule->inbound == config::Config::StrongAuthRule::Inbound::hold;
    s.fate[i] = hold ? StrengthSplit::Fate::hold : StrengthSplit::Fate::return_;
    s.log.push_back("to=<" + to + ">: [[strong_auth]] " + rule->name +
                    (rule->marking_min.empty() ? "" : " (marked " + marking.label() + ")") + ": no strong sign-in enrolled: " +
                    (hold ? "held" : "returned"));
  }
  return s;
}

Result<std::unique_ptr<queue::SpoolWriter>> StrongHolds::notice(const mail::Envelope& held, std::string_view member) const {
  LocalMessage m{"strength", held.recipients.front().address, compose_notice(config_, held, member), 0, false};
  return write_local_message(spool_, m);
}

StrongHolds::Due StrongHolds::scan(std::int64_t now) {
  Due due;
  std::set<std::string> still_held;
  for (const auto& id : spool_.held_ids()) {
    if (other_holds_.contains(id)) {
      still_held.insert(id);
      continue;
    }
    auto m = spool_.load(id);
    if (!m) continue;  // removed meanwhile
    if (m->envelope.strong_hold_until == 0) {
      other_holds_.insert(id);
      still_held.insert(id);
      continue;
    }
    if (m->envelope.strong_hold_until <= now) {
      due.expire.push_back(id);
      continue;
    }
    bool ready = true;
    for (const auto& r : m->envelope.recipients) {
      auto capable = strong_capable(r.address);
      if (!capable) {
        log::warn("{}: strong hold: cannot read the accounts: {}", id, capable.error().text);
        ready = false;
      } else if (!*capable) {
        ready = false;
      }
    }
    if (ready) due.release.push_back(id);
  }
  std::erase_if(other_holds_, [&](const std::string& id) { return !still_held.contains(id); });
  return due;
}

void StrongHolds::apply(const Due& due, const std::function<void(const std::string&)>& released) {
  for (const auto& id : due.release) {
    auto r = spool_.release(id);
    if (!r) {
      log::warn("{}: strong hold: cannot release: {}", id, r.error().text);
      continue;
    }
    log::info("{}: strong hold: the recipient now signs in strongly: released", id);
    released(id);
  }
  for (const auto& id : due.expire) {
    auto m = spool_.load(id);
    if (!m) continue;
    std::vector<std::size_t> all;
    for (std::size_t i = 0; i < m->envelope.recipients.size(); ++i) {
      auto& r = m->envelope.recipients[i];
      r.state = mail::RecipientState::failed;
      r.last_reply = no_strong_authentication().reply();
      all.push_back(i);
    }
    bouncer_.report(*m, all, DsnAction::failed);
    if (auto r = spool_.remove(id); !r) log::warn("{}: strong hold: cannot remove: {}", id, r.error().text);
    else log::info("{}: strong hold: returned to <{}> ({})", id, m->envelope.sender, no_strong_authentication().text);
  }
}

asio::awaitable<void> strong_hold_scans(StrongHolds& holds, asio::thread_pool& pool,
                                        std::function<void(const std::string&)> released) {
  auto exec = co_await asio::this_coro::executor;
  asio::steady_timer timer(exec);
  for (;;) {
    timer.expires_after(holds.interval());
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    co_await asio::post(pool.get_executor(), asio::use_awaitable);
    StrongHolds::Due due = holds.scan(now_unix());
    co_await asio::post(exec, asio::use_awaitable);
    holds.apply(due, released);
  }
}

}  // namespace sm::gateway
