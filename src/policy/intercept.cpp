// intercept.cpp - interception orders in DATA/intercept.sqlite and the
// gateway's watch over them (see intercept.h).
#include "policy/intercept.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "pki/certificate.h"
#include "pki/detail.h"
#include "store/sqlite.h"

namespace sm::policy {
namespace {

constexpr std::array<std::string_view, 1> kMigrations = {
    "CREATE TABLE orders (reference TEXT PRIMARY KEY, target TEXT NOT NULL, until INTEGER NOT NULL,"
    " deliver_to TEXT NOT NULL, certificate TEXT NOT NULL, created_by TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, removed_at INTEGER NOT NULL DEFAULT 0);",
};

constexpr std::string_view kColumns = "reference, target, until, deliver_to, certificate, created_by, created_at, removed_at";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_reference(std::string_view r) {
  return !r.empty() && r.size() <= 128 && std::all_of(r.begin(), r.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view(".-_/:").find(c) != std::string_view::npos;
  });
}

InterceptOrder order_at(const store::Statement& s) {
  return {s.text_at(0), s.text_at(1), s.int_at(2), s.text_at(3), s.text_at(4), s.text_at(5), s.int_at(6), s.int_at(7)};
}

Result<std::vector<InterceptOrder>> select(store::Database& db, std::string_view where, std::string_view bound) {
  auto stmt = db.prepare("SELECT " + std::string(kColumns) + " FROM orders " + std::string(where) +
                         " ORDER BY created_at, reference");
  if (!stmt) return std::unexpected(stmt.error());
  if (!bound.empty()) stmt->bind(1, bound);
  std::vector<InterceptOrder> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(order_at(*stmt));
  }
}

}  // namespace

bool InterceptOrder::covers(std::string_view address) const {
  std::string a = lower(address);
  if (target.starts_with("*@")) return a.size() > target.size() - 1 && a.ends_with(target.substr(1));
  return a == target;
}

Result<std::string> normalise_target(std::string_view target) {
  std::string t = lower(target);
  if (t.starts_with("*@") ? pki::detail::is_host_name(std::string_view(t).substr(2)) : pki::detail::is_addr_spec(t)) return t;
  return fail(550, "5.1.3", "target \"" + std::string(target) + "\" is neither an address (local@domain) nor *@domain");
}

InterceptOrders::InterceptOrders(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
InterceptOrders::~InterceptOrders() = default;

std::filesystem::path InterceptOrders::file(const std::filesystem::path& data_dir) {
  return data_dir / "intercept.sqlite";
}

Result<std::unique_ptr<InterceptOrders>> InterceptOrders::open(const std::filesystem::path& data_dir) {
  auto db = store::Database::open(file(data_dir), kMigrations);
  if (!db) return std::unexpected(db.error());
  std::error_code ec;
  std::filesystem::permissions(file(data_dir), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               ec);
  if (ec) return local_error(file(data_dir).string() + ": cannot make it private (0600): " + ec.message());
  return std::unique_ptr<InterceptOrders>(new InterceptOrders(std::make_unique<store::Database>(std::move(*db))));
}

Result<> InterceptOrders::add(const InterceptOrder& order) {
  if (!is_reference(order.reference))
    return fail(550, "5.5.4", "reference \"" + order.reference + "\": use letters, digits and .-_/: (at most 128)");
  auto target = normalise_target(order.target);
  if (!target) return std::unexpected(target.error());
  if (!pki::detail::is_addr_spec(order.deliver_to))
    return fail(550, "5.1.3", "deliver-to \"" + order.deliver_to + "\" is not an address (local@domain)");
  if (order.until <= order.created_at) return fail(550, "5.5.4", "the order's end (until) is already past");
  auto certs = pki::parse_certificates_pem(order.certificate);
  if (!certs) return fail(550, "5.7.1", "the authorised recipient's certificate: " + certs.error().text);
  if (certs->size() != 1)
    return fail(550, "5.7.1", "the certificate file must hold exactly the authorised recipient's certificate (it holds " +
                                  std::to_string(certs->size()) + ")");
  auto tx = store::Transaction::begin(*db_);
  if (!tx) return std::unexpected(tx.error());
  if (auto there = select(*db_, "WHERE reference = ?", order.reference); !there)
    return std::unexpected(there.error());
  else if (!there->empty())
    return fail(550, "5.7.1", "an order with reference " + order.reference + " exists already" +
                                  (there->front().removed_at ? " (removed)" : ""));
  auto insert = db_->prepare("INSERT INTO orders (" + std::string(kColumns) + ") VALUES (?,?,?,?,?,?,?,0)");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(1, order.reference).bind(2, *target).bind(3, order.until).bind(4, lower(order.deliver_to));
  insert->bind(5, order.certificate).bind(6, order.created_by).bind(7, order.created_at);
  if (auto ok = insert->run(); !ok) return ok;
  return tx->commit();
}

Result<InterceptOrder> InterceptOrders::remove(std::string_view reference, std::int64_t now) {
  auto tx = store::Transaction::begin(*db_);
  if (!tx) return std::unexpected(tx.error());
  auto there = select(*db_, "WHERE reference = ?", reference);
  if (!there) return std::unexpected(there.error());
  if (there->empty()) return fail(550, "5.7.1", "no order with reference " + std::string(reference));
  if (there->front().removed_at) return fail(550, "5.7.1", "the order " + std::string(reference) + " was removed already");
  auto update = db_->prepare("UPDATE orders SET removed_at = ? WHERE reference = ?");
  if (!update) return std::unexpected(update.error());
  update->bind(1, now).bind(2, reference);
  if (auto ok = update->run(); !ok) return std::unexpected(ok.error());
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return there->front();
}

Result<std::vector<InterceptOrder>> InterceptOrders::list(bool include_removed) const {
  return select(*db_, include_removed ? "" : "WHERE removed_at = 0", "");
}

Result<std::vector<InterceptOrder>> InterceptOrders::active(std::string_view address, std::int64_t now) const {
  auto all = list(false);
  if (!all) return all;
  std::erase_if(*all, [&](const InterceptOrder& o) { return !o.active_at(now) || !o.covers(address); });
  return all;
}

Result<bool> InterceptOrders::changed_since_last_check() {
  auto stmt = db_->prepare("PRAGMA data_version");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  std::int64_t version = *row ? stmt->int_at(0) : 0;
  bool changed = version != data_version_;
  data_version_ = version;
  return changed;
}

Result<std::unique_ptr<OrderWatch>> OrderWatch::open(const std::filesystem::path& data_dir,
                                                     std::chrono::seconds interval) {
  auto orders = InterceptOrders::open(data_dir);
  if (!orders) return std::unexpected(orders.error());
  return std::unique_ptr<OrderWatch>(new OrderWatch(std::move(*orders), interval));
}

Result<> OrderWatch::refresh(std::int64_t now) {
  if (loaded_ && now - checked_at_ < interval_.count() && now >= checked_at_) return {};
  checked_at_ = now;
  auto changed = orders_->changed_since_last_check();
  if (!changed) return std::unexpected(changed.error());
  if (loaded_ && !*changed) return {};
  auto all = orders_->list(false);
  if (!all) return std::unexpected(all.error());
  current_ = std::move(*all);
  loaded_ = true;
  return {};
}

Result<std::vector<InterceptOrder>> OrderWatch::active(const std::vector<std::string>& addresses, std::int64_t now) {
  std::lock_guard lock(mutex_);
  if (auto ok = refresh(now); !ok) return std::unexpected(ok.error());
  std::vector<InterceptOrder> out;
  for (const auto& order : current_)
    if (order.active_at(now) &&
        std::any_of(addresses.begin(), addresses.end(), [&](const std::string& a) { return order.covers(a); }))
      out.push_back(order);
  return out;
}

}  // namespace sm::policy
