// recipient_check.cpp - RecipientCheck (see recipient_check.h): role
// addresses, the Maildir lookup, and the cached callout to the internal
// server.
#include "delivery/recipient_check.h"

#include <algorithm>
#include <filesystem>

#include "delivery/maildir.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/text.h"

namespace sm::delivery {
namespace {

metrics::LabeledCounter checks_total("securemail_recipient_checks_total",
                                     "Local recipients checked at RCPT ([deliver] recipients = \"verify\"), by answer",
                                     "result", {"taken", "refused", "unanswered", "failed"});

}  // namespace

RecipientCheck::RecipientCheck(Options options) : options_(std::move(options)) {
  for (auto& a : options_.role_addresses) a = ascii_lower(a);
  auto cap = [](std::chrono::milliseconds& t) { t = std::min(t, kCalloutTimeout); };
  cap(options_.client.connect_timeout);
  cap(options_.client.command_timeout);
  options_.client.greeting_timeout = options_.client.command_timeout;
}

Result<void> RecipientCheck::refusal(const std::string& address, const std::string& why) const {
  return fail(550, "5.1.1", "<" + address + ">: Recipient address rejected: " + why);
}

Result<void> RecipientCheck::in_maildir(const std::string& address) {
  auto folder = maildir_folder_name(address);
  if (!folder) return std::unexpected(folder.error());
  std::error_code ec;
  bool known = std::filesystem::is_directory(options_.internal.maildir / *folder, ec);
  if (!known && options_.has_account) {
    auto account = options_.has_account(ascii_lower(address));
    if (!account) {
      log::warn("recipient check: <{}>: account lookup failed: {}", address, account.error().text);
      checks_total.add("failed");
      return fail(451, "4.3.0", "<" + address + ">: Recipient address lookup failed, try again later");
    }
    known = *account;
  }
  checks_total.add(known ? "taken" : "refused");
  std::lock_guard lock(mutex_);
  (known ? counts_.taken : counts_.refused)++;
  if (known) return {};
  return refusal(address, "no such mailbox here");
}

void RecipientCheck::remember(const std::string& key, Answer answer) {
  std::lock_guard lock(mutex_);
  if (cache_.size() >= options_.max_cached) {
    auto now = Clock::now();
    std::erase_if(cache_, [now](const auto& e) { return e.second.until <= now; });
    if (cache_.size() >= options_.max_cached) cache_.clear();
  }
  cache_[key] = std::move(answer);
}

asio::awaitable<Result<void>> RecipientCheck::check(asio::any_io_executor executor, const std::string& address) {
  const std::string key = ascii_lower(address);
  if (std::find(options_.role_addresses.begin(), options_.role_addresses.end(), key) != options_.role_addresses.end())
    co_return Result<void>{};
  if (options_.internal.kind == NextHop::Kind::maildir) co_return in_maildir(address);
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.until > Clock::now()) {
      counts_.from_cache++;
      (it->second.known ? counts_.taken : counts_.refused)++;
      checks_total.add(it->second.known ? "taken" : "refused");
      if (it->second.known) co_return Result<void>{};
      co_return refusal(address, "undeliverable address: " + it->second.said);
    }
    counts_.callouts++;
  }
  SmtpClient client(executor, options_.internal, options_.client, nullptr);
  auto answer = co_await client.probe_recipient(address);
  co_await client.quit();
  if (answer) {
    remember(key, {true, {}, Clock::now() + kKnownFor});
    checks_total.add("taken");
    std::lock_guard lock(mutex_);
    counts_.taken++;
    co_return Result<void>{};
  }
  if (!answer.error().permanent()) {
    log::warn("recipient check: <{}>: no answer from the internal server, taken and queued: {}", address,
              answer.error().text);
    checks_total.add("unanswered");
    std::lock_guard lock(mutex_);
    counts_.unanswered++;
    co_return Result<void>{};
  }
  log::info("recipient check: <{}>: refused by the internal server (remembered for an hour): {}", address,
            answer.error().text);
  remember(key, {false, answer.error().text, Clock::now() + kUnknownFor});
  checks_total.add("refused");
  {
    std::lock_guard lock(mutex_);
    counts_.refused++;
  }
  co_return refusal(address, "undeliverable address: " + answer.error().text);
}

RecipientCheck::Counts RecipientCheck::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

}  // namespace sm::delivery
