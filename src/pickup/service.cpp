// service.cpp - secure pickup on a gateway (see service.h).
#include "pickup/service.h"

#include <sodium.h>

#include <optional>

#include "audit/appender.h"
#include "pickup/pdf.h"
#include "util/log.h"

namespace sm::pickup {

Result<std::unique_ptr<Service>> Service::open(const std::filesystem::path& data_dir, std::string organisation,
                                               ServiceOptions options) {
  auto vault = Vault::open(folder(data_dir));
  if (!vault) return std::unexpected(vault.error());
  auto ledger = Ledger::open(Ledger::file_in(data_dir));
  if (!ledger) return std::unexpected(ledger.error());
  std::optional<RecipientAccounts> accounts;
  if (options.accounts) {
    auto opened = RecipientAccounts::open(RecipientAccounts::file_in(data_dir));
    if (!opened) return std::unexpected(opened.error());
    accounts.emplace(std::move(*opened));
  }
  return std::unique_ptr<Service>(new Service(std::move(*vault), std::move(*ledger), std::move(accounts),
                                              std::move(organisation), std::move(options)));
}

Service::Service(Vault vault, Ledger ledger, std::optional<RecipientAccounts> accounts, std::string organisation,
                 ServiceOptions options)
    : vault_(std::move(vault)), ledger_(std::move(ledger)), accounts_(std::move(accounts)), options_(std::move(options)) {
  SiteOptions o;
  o.organisation = std::move(organisation);
  o.public_url = options_.public_url;
  o.lock_for = options_.lock_for;
  o.now = options_.now;
  o.send_code = [this](const Pickup& p, const std::string& code) -> Result<void> {
    return options_.send({"", p.recipient, code_mail(p, code, context())});
  };
  o.tell_sender = [this](const Pickup&, const Event&) { tell(); };
  if (accounts_) {
    o.accounts = &*accounts_;
    o.send_account_mail = [this](const Pickup& p, AccountMail kind, const std::string& link) -> Result<void> {
      return options_.send({"", p.recipient, account_mail(p, kind, link, context())});
    };
  }
  o.replies = options_.replies;
  o.reply_max_size = options_.reply_max_size;
  if (options_.send_reply) o.send_reply = [this](const Pickup&, const Reply& r) { return options_.send_reply(r); };
  site_ = std::make_unique<Site>(ledger_, vault_, std::move(o));
}

Result<std::string> Service::hold(std::string_view message, const std::string& sender, const std::string& recipient,
                                  const std::string& from_domain, bool pdf) {
  const std::int64_t now = options_.now();
  Pickup p;
  p.ref = new_reference();
  p.sender = sender;
  p.recipient = recipient;
  p.from_domain = from_domain;
  p.created = now;
  p.expires = now + options_.expiry.count();
  p.state = "waiting";
  p.size = message.size();
  auto sealed = vault_.put(p.ref, message);
  if (!sealed) return std::unexpected(sealed.error());
  p.sealed_key = std::move(*sealed);
  std::string password;
  auto made = pdf ? pdf_of(message, p, password) : Result<std::optional<PdfNotice>>(std::nullopt);
  if (!made) {
    (void)vault_.erase(p.ref);
    return std::unexpected(made.error());
  }
  const std::optional<PdfNotice>& attached = *made;
  const std::string token = new_token();
  std::string subject;
  if (options_.show_subject)
    if (auto view = view_message(message)) subject = view->subject;
  auto undo = [&](const Error& why) {
    (void)ledger_.remove(p.ref);
    (void)vault_.erase(p.ref);
    return std::unexpected(why);
  };
  if (auto added = ledger_.add(p, token_hash(token)); !added) {
    (void)vault_.erase(p.ref);
    return std::unexpected(added.error());
  }
  // The password before the PDF: a PDF is never out without its password
  // on the way. Nothing keeps it but that mail.
  if (attached) {
    const std::string to = attached->password_to_sender ? sender : recipient;
    auto sent = options_.send({"", to, password_mail(p, password, attached->password_to_sender, context())});
    sodium_memzero(password.data(), password.size());
    if (!sent) return undo(sent.error());
  }
  // The notification's envelope sender is the message's: if the recipient's
  // address does not exist, its sender hears so.
  const std::string note = notification_mail(p, token, subject, context(), attached ? &*attached : nullptr);
  if (auto sent = options_.send({sender, recipient, note}); !sent) return undo(sent.error());
  if (auto r = ledger_.record({p.ref, now, "notified", recipient}); !r)
    log::warn("pickup: {}: cannot record the notification: {}", p.ref, r.error().text);
  // The audit trail's pickup.pdf: whom the password went to (never the password).
  const char* password_to = attached && attached->password_to_sender ? "sender" : "recipient";
  if (attached) (void)ledger_.record({p.ref, now, "pdf", std::string("password to the ") + password_to});
  log::info("pickup: {}: held for <{}> from <{}> ({} octets) until {}; notification queued{}", p.ref, recipient,
            sender, message.size(), utc_time(p.expires),
            attached ? std::string(" with the PDF, its password to the ") + password_to : "");
  tell();
  return p.ref;
}

Result<std::optional<PdfNotice>> Service::pdf_of(std::string_view message, const Pickup& p,
                                                  std::string& password) const {
  if (options_.pdf_password_to_sender && p.sender.empty()) {
    log::warn("pickup: {}: no PDF: the null sender cannot be given its password", p.ref);
    return std::nullopt;
  }
  password = new_pdf_password();
  auto made = message_pdf(message, p.ref, password);
  if (!made) return std::unexpected(made.error());
  return PdfNotice{std::move(*made), options_.pdf_password_to_sender};
}

void Service::tell() {
  std::lock_guard lock(telling_);
  for (const Event& e : ledger_.untold()) {
    auto p = ledger_.by_ref(e.ref);
    std::string text = p && !p->sender.empty() ? event_mail(*p, e, context()) : "";
    if (!text.empty())
      if (auto sent = options_.send({"", p->sender, std::move(text)}); !sent) {
        log::warn("pickup: {}: cannot tell <{}> of {} yet: {}", e.ref, p->sender, e.kind, sent.error().text);
        return;  // the next sweep tries again, in order
      }
    // The audit trail keeps every event (never the content): pickup.notified, pickup.opened, ...
    audit::record({"pickup." + e.kind, e.ref, "",
                   {{"recipient", p ? p->recipient : ""}, {"sender", p ? p->sender : ""}, {"detail", e.detail}}});
    if (auto r = ledger_.told(e.id); !r) log::warn("pickup: {}: {}", e.ref, r.error().text);
  }
}

void Service::sweep() {
  const std::int64_t now = options_.now();
  for (const Pickup& p : ledger_.due(now)) {
    auto closed = ledger_.close(p.ref, "expired");
    if (!closed || !*closed) continue;
    if (auto e = vault_.erase(p.ref); !e) log::warn("pickup: {}: {}", p.ref, e.error().text);
    (void)ledger_.record({p.ref, now, "expired", p.first_opened ? "read" : "unread"});
    log::info("pickup: {}: expired ({}); content and key deleted", p.ref, p.first_opened ? "read" : "unread");
  }
  if (accounts_) {
    auto idle = accounts_->remove_idle(now - options_.account_idle.count());
    if (!idle) log::warn("pickup: cannot remove idle recipient accounts: {}", idle.error().text);
    else
      for (const auto& address : *idle) {
        log::info("pickup: the account of <{}> was removed: unused for {} days", address,
                  options_.account_idle.count() / 86400);
        audit::record({"pickup.account", "", "", {{"recipient", address}, {"detail", "removed after idle"}}});
      }
  }
  tell();
}

Result<Pickup> revoke(Ledger& ledger, const Vault& vault, const std::string& ref, const std::string& by,
                      std::int64_t now) {
  auto p = ledger.by_ref(ref);
  if (!p) return std::unexpected(Error{550, "5.1.1", "no message with reference " + ref});
  auto closed = ledger.close(ref, "revoked");
  if (!closed) return std::unexpected(closed.error());
  if (!*closed) return std::unexpected(Error{550, "5.7.0", ref + " is " + p->state + " already"});
  if (auto e = vault.erase(ref); !e) return std::unexpected(e.error());
  if (auto r = ledger.record({ref, now, "revoked", by}); !r) return std::unexpected(r.error());
  return *ledger.by_ref(ref);
}

}  // namespace sm::pickup
