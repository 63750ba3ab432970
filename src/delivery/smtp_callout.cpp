// smtp_callout.cpp - SmtpClient::probe_recipient (see smtp_client.h): ask
// the server whether it takes one recipient, without sending a message.
// The null sender (RFC 5321 4.5.5), so a server that would notify the
// sender of anything notifies nobody; RSET afterwards leaves the session
// ready for the next probe or a real transaction. A recipient with non-ASCII
// octets needs SMTPUTF8 from the server, else nothing can be said about it.
#include <algorithm>

#include "delivery/smtp_client_conn.h"

namespace sm::delivery {

asio::awaitable<Result<void>> SmtpClient::probe_recipient(const std::string& address) {
  bool wire_safe = std::none_of(address.begin(), address.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == '<' || c == '>';
  });
  if (address.empty() || !wire_safe) co_return fail(501, "5.1.3", "bad recipient address syntax");
  if (auto c = co_await connect(); !c) co_return std::unexpected(c.error());
  bool utf8 = std::any_of(address.begin(), address.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  if (utf8 && !caps_.smtputf8)
    co_return fail(451, "4.6.7", "cannot ask host " + peer_ + " about a non-ASCII address: SMTPUTF8 not offered");
  auto mail = co_await command(std::string("MAIL FROM:<>") + (utf8 ? " SMTPUTF8" : "") + "\r\n", "MAIL FROM");
  if (!mail) co_return std::unexpected(mail.error());
  if (mail->code / 100 != 2) {
    Error e = remote_error(*mail, "MAIL FROM");
    if (e.permanent()) e.code = 451, e.enhanced = "4.3.0";  // the null sender refused says nothing about the recipient
    if (auto r = co_await command("RSET\r\n", "RSET"); !r) close();
    co_return std::unexpected(e);
  }
  auto rcpt = co_await command("RCPT TO:<" + address + ">\r\n", "RCPT TO");
  if (!rcpt) co_return std::unexpected(rcpt.error());
  Result<void> answer;
  if (rcpt->code / 100 != 2) answer = std::unexpected(remote_error(*rcpt, "RCPT TO"));
  if (auto r = co_await command("RSET\r\n", "RSET"); !r) close();
  co_return answer;
}

}  // namespace sm::delivery
