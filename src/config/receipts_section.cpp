// receipts_section.cpp - [receipts] (signed delivery receipts between
// members: when to ask, how long to wait, where they come back to),
// [evidence] (how long the signed originals and receipts are kept),
// [[acknowledge]] (shared mailboxes that answer every verified message) and
// the per-customer receipts / evidence_retention of a [[relay_client]].
//
// Addresses here are ours: the receipt address and acknowledging
// mailboxes must be in one of the gateway's domains, since mail to them
// has to come back to this gateway. They are kept lower-case.
#include "config/loader.h"
#include "mail/atom.h"
#include "util/text.h"

namespace sm::config {
namespace {

constexpr std::size_t kMaxLocalPart = 64;
constexpr std::chrono::seconds kMinRetention{86400};

}  // namespace

namespace detail {

std::string_view receipt_request_name(Config::Receipts::Request r) {
  return r == Config::Receipts::Request::always ? "always" : "on-request";
}

std::optional<Config::Receipts::Request> parse_receipt_request(std::string_view text) {
  for (auto r : {Config::Receipts::Request::on_request, Config::Receipts::Request::always})
    if (text == receipt_request_name(r)) return r;
  return std::nullopt;
}

std::string Loader::our_address(std::uint32_t line, std::string_view k, const std::string& value, const Config& c) {
  std::string v = ascii_lower(value);
  std::size_t at = v.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == v.size()) {
    error(line, k, "bad address \"" + value + "\" (write local-part@domain)");
    return {};
  }
  std::string_view local = std::string_view(v).substr(0, at), domain = std::string_view(v).substr(at + 1);
  if (local.size() > kMaxLocalPart || !mail::is_dot_atom(local)) {
    error(line, k, "bad local part in \"" + value + "\" (letters, digits, dots and !#$%&'*+-/=?^_`{|}~)");
    return {};
  }
  if (!c.receives_for(domain)) {
    error(line, k, "\"" + value + "\" is not in one of our domains (domain, domains)");
    return {};
  }
  return v;
}

std::optional<Config::Receipts::Request> Loader::receipt_request(Section& s, std::string_view k) {
  std::string v = text(s, k, "on-request");
  if (!line_of(key(s, k))) return std::nullopt;
  auto r = parse_receipt_request(v);
  if (!r) error(line_of(key(s, k)), key(s, k), "bad value \"" + v + "\" (use on-request or always)");
  return r;
}

std::chrono::seconds Loader::retention(Section& s, std::string_view k, std::string_view def) {
  std::chrono::seconds d = duration(s, k, def);
  if (d < kMinRetention) {
    error(line_of(key(s, k)), key(s, k), "must be at least 1d (evidence is swept once a day)");
    return *parse_duration(def);
  }
  return d;
}

void Loader::read_receipts(Section& root, Config& c) {
  Section r = section(root, "receipts");
  if (auto v = receipt_request(r, "request")) c.receipts.request = *v;
  c.receipts.timeout = duration(r, "timeout", "24h");
  if (std::string a = text(r, "address", ""); line_of("receipts.address"))
    c.receipts.address = our_address(line_of("receipts.address"), "receipts.address", a, c);
  c.receipts.issue = flag(r, "issue", true);
  finish(r);

  Section e = section(root, "evidence");
  c.evidence.retention = retention(e, "retention", "365d");
  finish(e);

  for (Section& s : table_array(root, "acknowledge", "mailbox")) {
    Config::Acknowledge box;
    std::string a = text(s, "address", "");
    std::uint32_t line = line_of(key(s, "address"));
    if (!line) error(s.table->source().begin.line, key(s, "address"), "missing: the mailbox that acknowledges");
    else box.address = our_address(line, key(s, "address"), a, c);
    for (const auto& other : c.acknowledge)
      if (!box.address.empty() && other.address == box.address)
        error(line, key(s, "address"), quote(box.address) + " is listed twice");
    box.interval = duration(s, "interval", "1h");
    finish(s);
    c.acknowledge.push_back(std::move(box));
  }
}

void Loader::read_relay_client_receipts(Section& s, Config::RelayClient& rc) {
  rc.receipts = receipt_request(s, "receipts");
  if (take(s, "evidence_retention")) rc.evidence_retention = retention(s, "evidence_retention", "365d");
}

std::string describe_receipts(const Config& c) {
  std::string o;
  o += "receipts.request = " + quote(receipt_request_name(c.receipts.request)) + "\n";
  o += "receipts.timeout = " + quote(format_duration(c.receipts.timeout)) + "\n";
  o += "receipts.address = " + quote(c.receipt_address()) + "\n";
  o += std::string("receipts.issue = ") + (c.receipts.issue ? "true" : "false") + "\n";
  o += "evidence.retention = " + quote(format_duration(c.evidence.retention)) + "\n";
  return o;
}

std::string describe_acknowledge(const Config& c) {
  if (c.acknowledge.empty()) return "# [[acknowledge]]: none (no mailbox acknowledges)\n";
  std::string o;
  for (const auto& box : c.acknowledge) {
    o += "\n[[acknowledge]]\n";
    o += "address = " + quote(box.address) + "\n";
    o += "interval = " + quote(format_duration(box.interval)) + "\n";
  }
  return o;
}

std::string describe_relay_client_receipts(const Config::RelayClient& rc) {
  std::string o;
  if (rc.receipts) o += "receipts = " + quote(receipt_request_name(*rc.receipts)) + "\n";
  if (rc.evidence_retention) o += "evidence_retention = " + quote(format_duration(*rc.evidence_retention)) + "\n";
  return o;
}

}  // namespace detail
}  // namespace sm::config
