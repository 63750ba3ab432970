// envelope_binding.cpp - writing, reading and checking SecureMail-Envelope.
#include "gateway/envelope_binding.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>

#include "mail/xtext.h"
#include "mime/header.h"
#include "util/hex.h"

namespace sm::gateway {
namespace {

std::string random_hex(std::size_t octets) {
  std::vector<unsigned char> raw(octets);
  RAND_bytes(raw.data(), static_cast<int>(raw.size()));
  return to_hex(raw.data(), raw.size());
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// The local part as given, the domain lower-cased: how addresses compare.
std::string comparable(std::string_view address) {
  std::string a(address);
  auto at = a.rfind('@');
  if (at != std::string::npos)
    std::transform(a.begin() + static_cast<long>(at), a.end(), a.begin() + static_cast<long>(at),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return a;
}

// xtext, with the separators of this field (";" "," and space) escaped too.
std::string token(std::string_view address) {
  std::string out;
  for (char c : mail::xtext_encode(address)) {
    if (c == ';') out += "+3B";
    else if (c == ',') out += "+2C";
    else out += c;
  }
  return out;
}

}  // namespace

EnvelopeBinding bind_envelope(const mail::Envelope& env, const std::vector<std::size_t>& recipients) {
  EnvelopeBinding b;
  b.seal_id = random_hex(16);
  b.sealed_at = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  b.sender = env.sender;
  for (auto i : recipients) b.recipients.push_back(env.recipients.at(i).address);
  return b;
}

std::string format_binding(const EnvelopeBinding& b) {
  std::string to;
  for (const auto& r : b.recipients) to += (to.empty() ? "" : ", ") + token(r);
  return mime::fold(std::string(kEnvelopeField) + ": v=1; id=" + b.seal_id + "; t=" + std::to_string(b.sealed_at) +
                    "; from=" + token(b.sender) + "; to=" + to);
}

std::optional<EnvelopeBinding> parse_binding(std::string_view value) {
  EnvelopeBinding b;
  bool version = false, id = false, time = false, from = false, to = false;
  while (!value.empty()) {
    auto semi = value.find(';');
    std::string item = trim(value.substr(0, semi));
    value = semi == std::string_view::npos ? std::string_view{} : value.substr(semi + 1);
    auto eq = item.find('=');
    if (eq == std::string::npos) return std::nullopt;
    std::string key = item.substr(0, eq), val = trim(std::string_view(item).substr(eq + 1));
    if (key == "v") {
      version = val == "1";
    } else if (key == "id") {
      id = val.size() == 32 && std::all_of(val.begin(), val.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
      b.seal_id = val;
    } else if (key == "t") {
      try {
        std::size_t used = 0;
        b.sealed_at = std::stoll(val, &used);
        time = used == val.size();
      } catch (...) {
        return std::nullopt;
      }
    } else if (key == "from") {
      auto s = mail::xtext_decode(val);
      if (!s) return std::nullopt;
      b.sender = *s;
      from = true;
    } else if (key == "to") {
      std::string_view list = val;
      while (!list.empty()) {
        auto comma = list.find(',');
        auto r = mail::xtext_decode(trim(list.substr(0, comma)));
        if (!r || r->empty()) return std::nullopt;
        b.recipients.push_back(*r);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
      to = !b.recipients.empty();
    }
  }
  if (!(version && id && time && from && to)) return std::nullopt;
  return b;
}

Result<std::optional<EnvelopeBinding>> take_binding(std::string& message) {
  std::string_view head(message);
  if (head.size() < kEnvelopeField.size() + 1 || !mime::iequals(head.substr(0, kEnvelopeField.size()), kEnvelopeField) ||
      head[kEnvelopeField.size()] != ':')
    return std::optional<EnvelopeBinding>{};
  // The field and its continuation lines.
  std::size_t end = 0;
  for (;;) {
    auto nl = message.find('\n', end);
    if (nl == std::string::npos) return fail(550, "5.7.1", "the signed envelope binding is cut off");
    end = nl + 1;
    if (end >= message.size() || (message[end] != ' ' && message[end] != '\t')) break;
  }
  auto block = mime::HeaderBlock::parse(std::string_view(message).substr(0, end));
  if (!block || block->fields().empty()) return fail(550, "5.7.1", "the signed envelope binding is unreadable");
  auto parsed = parse_binding(block->fields().front().value);
  if (!parsed) return fail(550, "5.7.1", "the signed envelope binding is unreadable");
  message.erase(0, end);
  return parsed;
}

Result<void> check_binding(const EnvelopeBinding& b, const mail::Envelope& env, std::int64_t now,
                           std::chrono::seconds window) {
  if (comparable(b.sender) != comparable(env.sender))
    return fail(550, "5.7.1", "the envelope sender <" + env.sender + "> is not the one the message was sealed for");
  for (const auto& r : env.recipients) {
    bool bound = std::any_of(b.recipients.begin(), b.recipients.end(),
                             [&](const std::string& x) { return comparable(x) == comparable(r.address); });
    if (!bound) return fail(550, "5.7.1", "<" + r.address + "> is not a recipient this message was sealed for (replayed?)");
  }
  if (b.sealed_at > now + 3600) return fail(550, "5.7.1", "the message was sealed in the future (clock skew?)");
  if (now - b.sealed_at > window.count())
    return fail(550, "5.7.1", "the message was sealed more than " + std::to_string(window.count() / 3600) + " hours ago (replayed?)");
  return {};
}

}  // namespace sm::gateway
