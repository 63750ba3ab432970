// api_receipts.cpp - GET /v1/receipts (pending, since, message_id, limit)
// and GET /v1/receipts/{id}: the signed receipts this gateway asked for,
// from the evidence ledger (DATA/receipts.sqlite, opened read-only per
// request), in the JSON of `securemail receipts list|show --json`.
#include <filesystem>

#include "admin/api_access.h"
#include "admin/record_views.h"
#include "config/config.h"
#include "util/log.h"

namespace sm::admin {
namespace {

// The gateway's ledger, read-only; null (and no error) when it has none:
// a gateway that never asked for a receipt.
Result<std::shared_ptr<evidence::ReceiptLedger>> open_ledger(const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(data_dir / "receipts.sqlite", ec)) return nullptr;
  return evidence::ReceiptLedger::open_existing(data_dir);
}

// since=: unix seconds, or a duration back from now ("2h", "3d").
std::optional<std::int64_t> since_time(const std::string& text, std::int64_t now) {
  if (auto t = whole_number(text, 0, std::int64_t{1} << 40)) return t;
  if (auto d = config::parse_duration(text)) return now - d->count();
  return std::nullopt;
}

using Why = std::optional<std::string>;

// The ledger's filter from the query, or the 400 naming the bad parameter.
std::expected<evidence::ReceiptLedger::Filter, HttpResponse> parse_filter(const HttpRequest& req, std::int64_t now) {
  evidence::ReceiptLedger::Filter f;
  auto bad = read_parameters(
      req, {{"pending",
             [&f](const std::string& v) -> Why {
               if (v != "1" && v != "0" && v != "true" && v != "false") return "pending: use 1 or 0";
               return f.pending_only = v == "1" || v == "true", std::nullopt;
             }},
            {"since",
             [&f, now](const std::string& v) -> Why {
               auto t = since_time(v, now);
               if (!t) return "since: unix seconds, or a duration back from now such as 2h or 3d";
               return f.since = *t, std::nullopt;
             }},
            {"message_id",
             [&f](const std::string& v) -> Why {
               if (v.empty()) return "message_id: empty";
               return f.message_id = evidence::bare_message_id(v), std::nullopt;
             }},
            {"limit", limit_reader(&f.limit)}});
  if (bad) return std::unexpected(*bad);
  return f;
}

HttpResponse ledger_unavailable(const Error& e) {
  log::error("admin api: receipt ledger: {}", e.text);
  return api_error(503, "receipt ledger unavailable");
}

HttpResponse list(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  if (!authorize(ctx, req, Scope::read, &refused)) return refused;
  auto filter = parse_filter(req, ctx.now());
  if (!filter) return filter.error();
  auto ledger = open_ledger(ctx.data_dir);
  if (!ledger) return ledger_unavailable(ledger.error());
  std::vector<evidence::ReceiptRow> rows;
  if (*ledger) {
    auto found = (*ledger)->list(*filter);
    if (!found) return ledger_unavailable(found.error());
    rows = std::move(*found);
  }
  // The ledger stops at the limit: `complete` says whether more may match.
  return json_response(200, {{"receipts", receipt_rows_json(rows)},
                             {"count", rows.size()},
                             {"complete", rows.size() < filter->limit}});
}

HttpResponse show(const ApiContext& ctx, const HttpRequest& req) {
  HttpResponse refused;
  if (!authorize(ctx, req, Scope::read, &refused)) return refused;
  const std::string& id = req.captures.at(0);
  auto ledger = open_ledger(ctx.data_dir);
  if (!ledger) return ledger_unavailable(ledger.error());
  std::vector<evidence::ReceiptRow> rows;
  if (*ledger) {
    auto found = (*ledger)->find(id);
    if (!found) return ledger_unavailable(found.error());
    rows = std::move(*found);
  }
  if (rows.empty())
    return api_error(404, "no receipt request matches \"" + id + "\" (give a content identifier, Message-ID or queue id)");
  return json_response(200, {{"id", id}, {"receipts", receipt_rows_json(rows)}});
}

}  // namespace

void register_receipt_routes(AdminServer& server, const ApiContext& ctx) {
  server.handle("GET", "/v1/receipts", [ctx](const HttpRequest& r) { return list(ctx, r); });
  server.handle("GET", "/v1/receipts/([^/]+)", [ctx](const HttpRequest& r) { return show(ctx, r); });
}

}  // namespace sm::admin
