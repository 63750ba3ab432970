// smtp_transfer.cpp - one mail transaction on an open session (see
// smtp_client.h): MAIL FROM with its parameters, RCPT TO per recipient,
// pipelined when offered, then the body:
//
//   CHUNKING offered (SMTP, not LMTP): BDAT chunks of kBdatChunk octets
//     straight from the stored body, no dot-stuffing, the last with LAST;
//     with PIPELINING the first chunk goes with MAIL/RCPT and up to
//     kBdatWindow chunks are in flight.
//   otherwise: DATA, dot-stuffed, CRLF.CRLF.
//
// A binary body (BODY=BINARYMIME, RFC 3030 3) goes as it is only to a peer
// offering BINARYMIME and CHUNKING. For any other peer our own sealed copy
// is converted to base64 on the fly (binary_downgrade.h); a binary message
// that is not ours fails permanently (554 5.6.3: conversion not permitted).
#include <algorithm>
#include <optional>

#include "delivery/smtp_client_conn.h"
#include "delivery/wire_body.h"
#include "mail/xtext.h"
#include "util/log.h"

namespace sm::delivery {

using client_detail::flatten;

namespace {

constexpr std::size_t kDataWrite = 64 * 1024;   // DATA: write in pieces of this size
constexpr std::size_t kBdatChunk = 128 * 1024;  // octets per BDAT chunk
constexpr std::size_t kBdatWindow = 4;          // BDAT replies outstanding when pipelining

bool non_ascii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// Mailbox text that may go between <> on the wire.
bool wire_safe(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == '<' || c == '>';
  });
}

std::string notify_param(unsigned n) {
  if (n == 0) return {};
  if (n & mail::kNotifyNever) return "NEVER";
  std::string s;
  auto add = [&](const char* w) { s += (s.empty() ? "" : ",") + std::string(w); };
  if (n & mail::kNotifySuccess) add("SUCCESS");
  if (n & mail::kNotifyFailure) add("FAILURE");
  if (n & mail::kNotifyDelay) add("DELAY");
  return s;
}

std::string orcpt_param(const mail::Recipient& r) {
  std::string type = "rfc822", value = r.orcpt.empty() ? r.address : r.orcpt;
  if (!r.orcpt.empty()) {
    auto semi = r.orcpt.find(';');
    if (semi != std::string::npos && semi > 0) {
      type = r.orcpt.substr(0, semi);
      value = r.orcpt.substr(semi + 1);
    }
  }
  return type + ";" + mail::xtext_encode(value);
}

// "BDAT <size>[ LAST]\r\n" followed by the chunk.
std::string bdat_command(const std::string& chunk, bool last) {
  std::string wire = "BDAT " + std::to_string(chunk.size()) + (last ? " LAST\r\n" : "\r\n");
  wire.reserve(wire.size() + chunk.size());
  wire += chunk;
  return wire;
}

}  // namespace

asio::awaitable<Result<void>> SmtpClient::send_dot_stuffed(WireBody& body) {
  DotStuffer stuffer;
  std::string piece, wire;
  while (true) {
    if (auto r = body.next(piece, kDataWrite); !r) co_return r;
    if (piece.empty()) break;
    stuffer.feed(piece, wire);
    if (wire.size() >= kDataWrite) {
      if (auto w = co_await write(wire, opts_.data_timeout, "sending message body"); !w) co_return w;
      wire.clear();
    }
  }
  stuffer.finish(wire);
  co_return co_await write(wire, opts_.data_timeout, "sending message body");
}

// Write chunks (keeping at most kBdatWindow replies outstanding when
// pipelining, else one) until LAST; `unread` chunks, the last of them LAST
// when last_written, went out before. Returns the reply to LAST, or the
// first refusal of a chunk once every outstanding reply has been read.
asio::awaitable<Result<SmtpClient::Reply>> SmtpClient::send_chunks(WireBody& body, std::size_t unread,
                                                                   bool last_written) {
  const std::size_t window = caps_.pipelining ? kBdatWindow : 1;
  std::string chunk;
  for (;;) {
    while (!last_written && unread < window) {
      auto last = body.next_chunk(chunk, kBdatChunk);
      if (!last) co_return std::unexpected(last.error());
      if (auto w = co_await write(bdat_command(chunk, *last), opts_.data_timeout, "sending BDAT"); !w)
        co_return std::unexpected(w.error());
      ++unread;
      last_written = *last;
    }
    auto r = co_await read_reply(opts_.data_timeout, "receiving reply to BDAT");
    if (!r) co_return r;
    flatten(*r);
    --unread;
    if (r->code / 100 == 2 && !(last_written && unread == 0)) continue;
    for (; unread > 0; --unread) {  // the refusal is the answer; stay in step
      if (auto rest = co_await read_reply(opts_.data_timeout, "receiving reply to BDAT"); !rest) co_return rest;
    }
    co_return r;
  }
}

asio::awaitable<void> SmtpClient::transaction(const mail::Envelope& env,
                                              const std::vector<std::size_t>& indexes,
                                              const StoredMessage& message,
                                              std::vector<RecipientOutcome>& out) {
  // Which outcomes are still open (no definitive answer yet).
  std::vector<bool> open(out.size(), true);
  auto settle_all = [&](const Error& e) {
    for (std::size_t k = 0; k < out.size(); ++k) {
      if (open[k]) out[k].result = std::unexpected(e), open[k] = false;
    }
  };

  for (std::size_t k = 0; k < out.size(); ++k) {
    if (indexes[k] >= env.recipients.size()) {
      out[k].result = local_error("recipient index " + std::to_string(indexes[k]) + " out of range");
      open[k] = false;
    } else if (!wire_safe(env.recipients[indexes[k]].address) || env.recipients[indexes[k]].address.empty()) {
      out[k].result = fail(553, "5.1.3", "bad recipient address syntax");
      open[k] = false;
    }
  }
  if (!wire_safe(env.sender)) co_return settle_all(Error{553, "5.1.7", "bad sender address syntax"});

  WireBody body;
  if (auto r = body.open(message); !r) co_return settle_all(r.error());

  // Reuse: RSET probes the cached connection; a dead one is replaced.
  if (connected() && messages_ > 0) {
    auto r = co_await command("RSET\r\n", "RSET");
    if (!r || r->code / 100 != 2) {
      log::debug("cached connection to {} unusable, reconnecting", peer_);
      close();
    }
  }
  if (!connected()) {
    auto c = co_await connect();
    if (!c) co_return settle_all(c.error());
  }
  ++messages_;

  // The body's form for this peer (see the head comment).
  const bool bdat = caps_.chunking && !lmtp_;
  const bool binary = env.body_binary && bdat && caps_.binarymime;
  if (env.body_binary && !binary) {
    if (env.sealed_for.empty())
      co_return settle_all(Error{554, "5.6.3", "Conversion required but not permitted: the message is binary "
                                               "(BODY=BINARYMIME) and host " + peer_ + " does not offer BINARYMIME"});
    body.downgrade();
  }
  const std::uint64_t size = body.downgrading() ? BinaryDowngrade::estimated_size(message.size) : message.size;

  // Checks against what the server announced.
  if (caps_.size && caps_.size_limit > 0 && size > caps_.size_limit) {
    co_return settle_all(Error{552, "5.3.4",
                               "message size " + std::to_string(size) +
                                   " exceeds size limit " + std::to_string(caps_.size_limit) +
                                   " of server " + peer_});
  }
  bool utf8 = non_ascii(env.sender);
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (open[k] && non_ascii(env.recipients[indexes[k]].address)) utf8 = true;
  }
  if (utf8 && !caps_.smtputf8) {
    co_return settle_all(Error{553, "5.6.7", "SMTPUTF8 is required, but was not offered by host " + peer_});
  }
  if (env.body_8bit && !caps_.eightbitmime && !env.discreet) {
    log::info("{}: 8-bit body sent to {} which does not announce 8BITMIME", env.id, peer_);
  }

  std::string mail = "MAIL FROM:<" + env.sender + ">";
  if (caps_.size) mail += " SIZE=" + std::to_string(size);
  if (binary) mail += " BODY=BINARYMIME";
  else if (env.body_8bit && caps_.eightbitmime) mail += " BODY=8BITMIME";
  if (utf8) mail += " SMTPUTF8";
  if (caps_.dsn) {
    if (env.ret == mail::Ret::full) mail += " RET=FULL";
    if (env.ret == mail::Ret::hdrs) mail += " RET=HDRS";
    if (!env.envid.empty()) mail += " ENVID=" + mail::xtext_encode(env.envid);
  }
  mail += "\r\n";
  std::vector<std::size_t> sent;  // positions in `out` whose RCPT goes out
  std::vector<std::string> rcpts;
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (!open[k]) continue;
    const auto& r = env.recipients[indexes[k]];
    std::string line = "RCPT TO:<" + r.address + ">";
    if (caps_.dsn) {
      if (auto n = notify_param(r.notify); !n.empty()) line += " NOTIFY=" + n;
      line += " ORCPT=" + orcpt_param(r);
    }
    rcpts.push_back(line + "\r\n");
    sent.push_back(k);
  }
  if (sent.empty()) co_return;
  // A binary body's form is worth an info line (member copies); others' debug.
  if (env.discreet)
    ;  // an interception copy: never named in the log
  else if (env.body_binary)
    log::info("{}: to {} with {}{}{}", env.id, peer_, bdat ? "BDAT" : "DATA", binary ? ", BODY=BINARYMIME" : "",
              body.downgrading() ? ", converted to base64 (no BINARYMIME offered)" : "");
  else
    log::debug("{}: to {} with {}", env.id, peer_, bdat ? "BDAT" : "DATA");

  // Connection-level failure: everything open fails temporarily, the
  // connection is gone.
  auto conn_fail = [&](const Error& e) {
    close();
    settle_all(e);
  };
  auto is_421 = [](const Reply& r) { return r.code == 421; };
  // The whole message could not be read from the queue: drop the
  // connection so the server discards the partial message.
  auto read_fail = [&](const Error& e) {
    if (!env.discreet) log::warn("{}: {}; aborting transfer to {}", env.id, e.text, peer_);
    close();
    settle_all(e);
  };

  const bool pipelining = caps_.pipelining;
  const char* const body_verb = bdat ? "BDAT" : "DATA";
  std::vector<std::size_t> accepted;
  std::optional<Reply> body_reply;     // reply to DATA, or to the first (pipelined) BDAT
  bool first_chunk_last = false;
  if (pipelining) {
    std::string batch = mail;
    for (const auto& l : rcpts) batch += l;
    if (bdat) {
      std::string chunk;
      auto last = body.next_chunk(chunk, kBdatChunk);
      if (!last) co_return read_fail(last.error());
      first_chunk_last = *last;
      batch += bdat_command(chunk, first_chunk_last);
    } else {
      batch += "DATA\r\n";
    }
    if (auto w = co_await write(batch, opts_.data_timeout, "sending MAIL FROM"); !w) co_return conn_fail(w.error());
  } else {
    if (auto w = co_await write(mail, opts_.command_timeout, "sending MAIL FROM"); !w) co_return conn_fail(w.error());
  }
  auto mr = co_await read_reply(opts_.command_timeout, "receiving reply to MAIL FROM");
  if (!mr) co_return conn_fail(mr.error());
  flatten(*mr);
  if (is_421(*mr)) co_return conn_fail(remote_error(*mr, "MAIL FROM"));
  bool mail_ok = mr->code / 100 == 2;
  std::optional<Error> mail_error;
  if (!mail_ok) mail_error = remote_error(*mr, "MAIL FROM");
  if (!mail_ok && !pipelining) {
    settle_all(*mail_error);
    if (auto r = co_await command("RSET\r\n", "RSET"); !r) close();
    co_return;
  }
  for (std::size_t j = 0; j < sent.size(); ++j) {
    if (!pipelining) {
      if (auto w = co_await write(rcpts[j], opts_.command_timeout, "sending RCPT TO"); !w) co_return conn_fail(w.error());
    }
    auto rr = co_await read_reply(opts_.command_timeout, "receiving reply to RCPT TO");
    if (!rr) co_return conn_fail(rr.error());
    flatten(*rr);
    if (is_421(*rr)) co_return conn_fail(remote_error(*rr, "RCPT TO"));
    std::size_t k = sent[j];
    if (!mail_ok) continue;
    if (rr->code / 100 == 2) {
      accepted.push_back(k);
    } else {
      out[k].result = std::unexpected(remote_error(*rr, "RCPT TO"));
      open[k] = false;
    }
  }
  if (pipelining) {
    auto dr = co_await read_reply(bdat ? opts_.data_timeout : opts_.command_timeout,
                                  bdat ? "receiving reply to BDAT" : "receiving reply to DATA");
    if (!dr) co_return conn_fail(dr.error());
    flatten(*dr);
    body_reply = *dr;
    if (is_421(*dr)) co_return conn_fail(remote_error(*dr, body_verb));
  }
  if (!mail_ok || accepted.empty()) {
    if (!mail_ok) settle_all(*mail_error);
    if (!bdat && body_reply && body_reply->code == 354) {
      // A broken server opened DATA with nobody to deliver to: end it empty.
      std::string dot = ".\r\n";
      if (auto w = co_await write(dot, opts_.data_timeout, "sending end of data"); !w) co_return close();
      if (auto r = co_await read_reply(opts_.data_timeout, "receiving reply to end of DATA"); !r) co_return;
    }
    if (auto r = co_await command("RSET\r\n", "RSET"); !r) close();
    co_return;
  }

  std::optional<Reply> final_reply;
  const char* final_what = bdat ? "BDAT" : "end of DATA";
  if (bdat) {
    // The first chunk's reply (pipelined) is final when it refused or was LAST.
    if (body_reply && (body_reply->code / 100 != 2 || first_chunk_last)) {
      final_reply = *body_reply;
    } else {
      auto fr = co_await send_chunks(body, 0, false);
      if (!fr && !connected()) co_return conn_fail(fr.error());
      if (!fr) co_return read_fail(fr.error());
      final_reply = *fr;
    }
  } else {
    if (!pipelining) {
      auto dr = co_await command("DATA\r\n", "DATA");
      if (!dr) co_return conn_fail(dr.error());
      flatten(*dr);
      body_reply = *dr;
      if (is_421(*dr)) co_return conn_fail(remote_error(*dr, "DATA"));
    }
    if (body_reply->code != 354) {
      Error e = remote_error(*body_reply, "DATA");
      for (auto k : accepted) out[k].result = std::unexpected(e), open[k] = false;
      if (auto r = co_await command("RSET\r\n", "RSET"); !r) close();
      co_return;
    }
    if (auto sent_body = co_await send_dot_stuffed(body); !sent_body) {
      if (!connected()) co_return conn_fail(sent_body.error());
      co_return read_fail(sent_body.error());
    }
    if (lmtp_) co_return co_await lmtp_replies(accepted, out, open);
    auto fr = co_await read_reply(opts_.data_timeout, "receiving reply to end of DATA");
    if (!fr) co_return conn_fail(fr.error());
    flatten(*fr);
    final_reply = *fr;
  }

  if (final_reply->code / 100 == 2) {
    for (auto k : accepted) out[k].result = final_reply->line(), open[k] = false;
    co_return;
  }
  Error e = remote_error(*final_reply, final_what);
  for (auto k : accepted) out[k].result = std::unexpected(e), open[k] = false;
  if (is_421(*final_reply)) co_return close();
  // A refused chunk leaves the transaction open at the server: end it.
  if (bdat) {
    if (auto r = co_await command("RSET\r\n", "RSET"); !r) close();
  }
}

// LMTP: one reply per accepted recipient, in RCPT order (RFC 2033 4.2).
asio::awaitable<void> SmtpClient::lmtp_replies(const std::vector<std::size_t>& accepted,
                                               std::vector<RecipientOutcome>& out, std::vector<bool>& open) {
  for (auto k : accepted) {
    auto fr = co_await read_reply(opts_.data_timeout, "receiving reply to end of DATA");
    if (!fr) {
      close();
      for (std::size_t j = 0; j < out.size(); ++j)
        if (open[j]) out[j].result = std::unexpected(fr.error()), open[j] = false;
      co_return;
    }
    flatten(*fr);
    if (fr->code / 100 == 2) {
      out[k].result = fr->line();
    } else {
      out[k].result = std::unexpected(remote_error(*fr, "end of DATA"));
      if (fr->code == 421) {
        Error e = remote_error(*fr, "end of DATA");
        close();
        open[k] = false;
        for (std::size_t j = 0; j < out.size(); ++j)
          if (open[j]) out[j].result = std::unexpected(e), open[j] = false;
        co_return;
      }
    }
    open[k] = false;
  }
}

}  // namespace sm::delivery
