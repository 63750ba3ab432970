// queue_file.cpp - formatting and parsing of queue files and state sidecars.
#include "queue/queue_file.h"

#include <charconv>
#include <sstream>
#include <vector>

#include "mail/xtext.h"
#include "util/base64.h"

namespace sm::queue {
namespace {

constexpr std::string_view kMagic = "securemail-queue 1";

std::string token(std::string_view raw) { return raw.empty() ? "-" : mail::xtext_encode(raw); }

std::optional<std::string> untoken(std::string_view t) {
  if (t == "-") return std::string();
  return mail::xtext_decode(t);
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    auto j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  return words;
}

template <class Int>
bool to_int(std::string_view s, Int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

const char* ret_name(mail::Ret r) {
  switch (r) {
    case mail::Ret::full: return "full";
    case mail::Ret::hdrs: return "hdrs";
    default: return "-";
  }
}

const char* state_name(mail::RecipientState s) {
  switch (s) {
    case mail::RecipientState::delivered: return "delivered";
    case mail::RecipientState::failed: return "failed";
    default: return "pending";
  }
}

// Receipt duty: "receipt <member> <message-id> <to,to,...> <base64 SignedData>".
// Each address is xtext with ',' escaped too, so the list is one token.
std::string receipt_line(const mail::ReceiptDuty& duty) {
  std::string to;
  for (const auto& a : duty.receipts_to) {
    if (!to.empty()) to += ',';
    for (char c : mail::xtext_encode(a)) to += c == ',' ? std::string("+2C") : std::string(1, c);
  }
  return "receipt " + token(duty.member) + " " + token(duty.message_id) + " " + to + " " +
         base64_encode(duty.signed_data) + "\n";
}

// Strict: every field present and well formed, or the line is refused.
Result<mail::ReceiptDuty> parse_receipt(const std::vector<std::string_view>& w) {
  auto bad = [](std::string why) { return fail(451, "4.3.0", "corrupt queue file: bad receipt line: " + why); };
  if (w.size() != 5) return bad("expected 4 fields, got " + std::to_string(w.size() - 1));
  mail::ReceiptDuty duty;
  auto member = untoken(w[1]);
  if (!member || member->empty()) return bad("bad member");
  duty.member = *member;
  auto id = untoken(w[2]);
  if (!id) return bad("bad message id");
  duty.message_id = *id;
  std::string_view list = w[3];
  for (std::size_t i = 0; i <= list.size();) {
    auto comma = list.find(',', i);
    if (comma == std::string_view::npos) comma = list.size();
    auto address = mail::xtext_decode(list.substr(i, comma - i));
    if (!address || address->empty() || address->find('@') == std::string::npos) return bad("bad receipts-to address");
    duty.receipts_to.push_back(std::move(*address));
    i = comma + 1;
  }
  auto der = base64_decode(w[4]);
  if (!der || der->empty()) return bad("bad signed data");
  duty.signed_data = std::move(*der);
  return duty;
}

}  // namespace

std::string format_envelope(const mail::Envelope& env) {
  std::ostringstream o;
  o << kMagic << "\n"
    << "id " << env.id << "\n"
    << "sender " << token(env.sender) << "\n"
    << "arrival " << env.arrival << "\n"
    << "ret " << ret_name(env.ret) << "\n"
    << "envid " << token(env.envid) << "\n"
    << "body " << (env.body_8bit ? "8bit" : "7bit") << "\n"
    << "listener " << token(env.listener) << "\n"
    << "client " << token(env.client_address) << "\n"
    << "helo " << token(env.helo) << "\n";
  // Written only when set, so a plain normal-lane file reads as before.
  if (!env.sealed_for.empty()) o << "sealed-for " << token(env.sealed_for) << "\n";
  if (env.lane != mail::Lane::normal) o << "lane " << mail::to_string(env.lane) << "\n";
  // BODY=BINARYMIME (RFC 3030), written only when set.
  if (env.body_binary) o << "body-binary yes\n";
  // An opened message whose sender asked for signed receipts.
  if (env.receipt) o << receipt_line(*env.receipt);
  // Authenticated submission: who signed in, and how.
  if (!env.auth_user.empty())
    o << "auth-user " << token(env.auth_user) << "\nauth-method " << token(env.auth_method)
      << "\nauth-strong " << (env.auth_strong ? "yes" : "no") << "\n";
  if (env.strong_hold_until != 0) o << "strong-hold-until " << env.strong_hold_until << "\n";
  if (env.discreet) o << "discreet yes\n";
  if (!env.policy_hold.empty()) o << "policy-hold " << token(env.policy_hold) << "\n";
  if (env.pickup) o << "pickup yes\n";
  if (env.pickup_pdf) o << "pickup-pdf yes\n";
  for (const auto& r : env.recipients)
    o << "rcpt " << r.notify << " " << token(r.orcpt) << " " << token(r.address) << "\n";
  o << "\n";
  return o.str();
}

Result<mail::Envelope> parse_envelope(std::string_view head, std::uint64_t& body_offset) {
  auto bad = [](std::string what) { return fail(451, "4.3.0", "corrupt queue file: " + what); };
  auto end = head.find("\n\n");
  if (end == std::string_view::npos) return bad("no end of envelope");
  body_offset = end + 2;
  std::string_view block = head.substr(0, end + 1);
  mail::Envelope env;
  bool magic = false;
  std::size_t pos = 0;
  while (pos < block.size()) {
    auto nl = block.find('\n', pos);
    std::string_view line = block.substr(pos, nl - pos);
    pos = nl + 1;
    if (!magic) {
      if (line != kMagic) return bad("not a securemail queue file");
      magic = true;
      continue;
    }
    auto w = split_words(line);
    if (w.empty()) return bad("empty envelope line");
    std::string_view key = w[0];
    if (key == "rcpt") {
      mail::Recipient r;
      std::optional<std::string> orcpt, addr;
      if (w.size() != 4 || !to_int(w[1], r.notify) || !(orcpt = untoken(w[2])) || !(addr = untoken(w[3])))
        return bad("bad rcpt line");
      r.orcpt = *orcpt;
      r.address = *addr;
      env.recipients.push_back(std::move(r));
      continue;
    }
    if (key == "receipt") {
      if (env.receipt) return bad("more than one receipt line");
      auto duty = parse_receipt(w);
      if (!duty) return std::unexpected(duty.error());
      env.receipt = std::move(*duty);
      continue;
    }
    if (w.size() != 2) return bad("bad line for " + std::string(key));
    std::optional<std::string> v = untoken(w[1]);
    if (!v) return bad("bad value for " + std::string(key));
    if (key == "id") env.id = *v;
    else if (key == "sender") env.sender = *v;
    else if (key == "arrival") { if (!to_int(*v, env.arrival)) return bad("bad arrival"); }
    else if (key == "ret") env.ret = *v == "full" ? mail::Ret::full : *v == "hdrs" ? mail::Ret::hdrs : mail::Ret::unspecified;
    else if (key == "envid") env.envid = *v;
    else if (key == "body") env.body_8bit = (*v == "8bit");
    else if (key == "listener") env.listener = *v;
    else if (key == "client") env.client_address = *v;
    else if (key == "helo") env.helo = *v;
    else if (key == "sealed-for") env.sealed_for = *v;
    else if (key == "body-binary") env.body_binary = *v == "yes";
    else if (key == "auth-user") env.auth_user = *v;
    else if (key == "auth-method") env.auth_method = *v;
    else if (key == "auth-strong") env.auth_strong = *v == "yes";
    else if (key == "strong-hold-until") { if (!to_int(*v, env.strong_hold_until)) return bad("bad strong-hold-until"); }
    else if (key == "discreet") env.discreet = *v == "yes";
    else if (key == "policy-hold") env.policy_hold = *v;
    else if (key == "pickup") env.pickup = *v == "yes";
    else if (key == "pickup-pdf") env.pickup_pdf = *v == "yes";
    // A lane this version does not know is delivered as normal mail.
    else if (key == "lane") env.lane = *v == mail::to_string(mail::Lane::priority) ? mail::Lane::priority : mail::Lane::normal;
    // Unknown keys from a newer version are ignored, not fatal.
  }
  if (!magic || env.id.empty()) return bad("missing id");
  if (env.recipients.empty()) return bad("no recipients");
  return env;
}

std::string format_state(const mail::Envelope& env, const DeliveryState& s) {
  std::ostringstream o;
  o << "attempts " << s.attempts << "\nlast " << s.last_attempt << "\nnext " << s.next_attempt
    << "\ndelay_notified " << (s.delay_notified ? 1 : 0) << "\n";
  for (std::size_t i = 0; i < env.recipients.size(); ++i) {
    const auto& r = env.recipients[i];
    o << "r " << i << " " << state_name(r.state) << " " << token(r.last_reply) << "\n";
  }
  o << "end\n";  // a torn write lacks this line and is ignored
  return o.str();
}

bool parse_state(std::string_view text, mail::Envelope& env, DeliveryState& s) {
  if (text.size() < 4 || text.substr(text.size() - 4) != "end\n") return false;
  DeliveryState parsed;
  std::vector<std::pair<mail::RecipientState, std::string>> rcpts(env.recipients.size());
  std::vector<bool> seen(env.recipients.size(), false);
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto w = split_words(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (w.empty()) return false;
    if (w[0] == "end") break;
    if (w[0] == "r" && w.size() == 4) {
      std::size_t i;
      auto reply = untoken(w[3]);
      if (!to_int(w[1], i) || i >= rcpts.size() || !reply) return false;
      rcpts[i].first = w[2] == "delivered" ? mail::RecipientState::delivered
                       : w[2] == "failed"  ? mail::RecipientState::failed
                                           : mail::RecipientState::pending;
      rcpts[i].second = *reply;
      seen[i] = true;
      continue;
    }
    if (w.size() != 2) return false;
    long long v;
    if (!to_int(w[1], v)) return false;
    if (w[0] == "attempts") parsed.attempts = static_cast<int>(v);
    else if (w[0] == "last") parsed.last_attempt = v;
    else if (w[0] == "next") parsed.next_attempt = v;
    else if (w[0] == "delay_notified") parsed.delay_notified = v != 0;
  }
  for (std::size_t i = 0; i < rcpts.size(); ++i) {
    if (!seen[i]) continue;
    env.recipients[i].state = rcpts[i].first;
    env.recipients[i].last_reply = rcpts[i].second;
  }
  s = parsed;
  return true;
}

}  // namespace sm::queue
