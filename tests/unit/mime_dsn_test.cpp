// mime_dsn_test.cpp - compose RFC 3464 reports and read them back: the top
// header, the three MIME parts, per-recipient fields, RET/ENVID/ORCPT,
// delay reports and a boundary that must dodge the content.
#include "mime/multipart.h"
#include "mime/dsn.h"
#include "mime/header.h"

#include <gtest/gtest.h>

using namespace sm::mime;
using sm::mail::Envelope;
using sm::mail::Recipient;
using sm::mail::Ret;

namespace {

const std::string kOriginal =
    "From: Alice <alice@a.example>\r\n"
    "To: bob@b.example, carol@b.example\r\n"
    "Subject: lunch\r\n"
    "Message-ID: <m1@a.example>\r\n"
    "\r\n"
    "See you at noon.\r\n";

DsnReport base_report() {
  DsnReport r;
  r.reporting_mta = "gw.a.example";
  r.now = 1741093509;
  Envelope& e = r.envelope;
  e.id = "4F3A2B1C00000001";
  e.sender = "alice@a.example";
  e.arrival = 1741090000;
  e.recipients = {
      Recipient{"bob@b.example", "", 0, sm::mail::RecipientState::failed, "550 5.1.1 <bob@b.example>: no such user"},
      Recipient{"carol@b.example", "", 0, sm::mail::RecipientState::delivered, "250 2.0.0 ok"},
      Recipient{"dave@c.example", "", 0, sm::mail::RecipientState::failed, "554 transaction failed"},
  };
  r.original_headers = kOriginal.substr(0, kOriginal.find("\r\n\r\n") + 2);
  r.original = kOriginal;
  return r;
}

struct Part {
  HeaderBlock header;
  std::string body;
};

struct Parsed {
  HeaderBlock header;
  std::string boundary;
  std::vector<Part> parts;
};

// Split a multipart message at its boundary and parse every part's header.
Parsed parse(const std::string& msg) {
  Parsed p;
  auto h = HeaderBlock::parse(msg);
  EXPECT_TRUE(h);
  p.header = *h;
  std::string ct(h->get("Content-Type").value_or(""));
  auto b = ct.find("boundary=\"");
  EXPECT_NE(b, std::string::npos) << ct;
  p.boundary = ct.substr(b + 10, ct.find('"', b + 10) - b - 10);
  const std::string delim = "\r\n--" + p.boundary;
  std::size_t pos = msg.find(delim, h->body_offset() - 2);
  while (pos != std::string::npos) {
    std::size_t start = pos + delim.size();
    if (msg.compare(start, 2, "--") == 0) {
      EXPECT_EQ(msg.substr(start), "--\r\n");
      break;
    }
    EXPECT_EQ(msg.compare(start, 2, "\r\n"), 0);
    start += 2;
    std::size_t next = msg.find(delim, start);
    EXPECT_NE(next, std::string::npos) << "missing close delimiter";
    std::string part = msg.substr(start, next - start);
    auto ph = HeaderBlock::parse(part);
    EXPECT_TRUE(ph);
    p.parts.push_back({*ph, part.substr(ph->body_offset())});
    pos = next;
  }
  // Every line ends in CRLF.
  for (std::size_t i = 0; i < msg.size(); ++i)
    if (msg[i] == '\n') {
      EXPECT_EQ(msg[i - 1], '\r') << "bare LF at " << i;
    }
  return p;
}

// The per-recipient blocks of a message/delivery-status body.
std::vector<HeaderBlock> status_blocks(const std::string& body) {
  std::vector<HeaderBlock> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto h = HeaderBlock::parse(body.substr(pos));
    EXPECT_TRUE(h);
    if (h->fields().empty()) break;
    out.push_back(*h);
    pos += h->body_offset();
  }
  return out;
}

}  // namespace

TEST(StatusOfReply, TakesEnhancedCodeOrFallsBack) {
  EXPECT_EQ(status_of_reply("550 5.1.1 no such user", "5.0.0"), "5.1.1");
  EXPECT_EQ(status_of_reply("452-4.2.2 mailbox full", "4.0.0"), "4.2.2");
  EXPECT_EQ(status_of_reply("5.7.1 refused by policy", "5.0.0"), "5.7.1");
  EXPECT_EQ(status_of_reply("554 transaction failed", "4.0.0"), "5.0.0");
  EXPECT_EQ(status_of_reply("421 service not available", "5.0.0"), "4.0.0");
  EXPECT_EQ(status_of_reply("550 5.1 bad", "5.0.0"), "5.0.0");
  EXPECT_EQ(status_of_reply("550 5.1.1234 bad", "5.0.0"), "5.0.0");
  EXPECT_EQ(status_of_reply("connection refused", "4.0.0"), "4.0.0");
  EXPECT_EQ(status_of_reply("", "5.0.0"), "5.0.0");
}

TEST(Dsn, FailureReportStructure) {
  DsnReport r = base_report();
  r.recipients = {{0, DsnAction::failed, "mx.b.example", 0}, {2, DsnAction::failed, "", 1741093000}};
  auto out = compose_dsn(r);
  ASSERT_TRUE(out) << out.error().text;
  Parsed p = parse(*out);

  EXPECT_EQ(p.header.get("From"), "\"Mail Delivery System\" <MAILER-DAEMON@gw.a.example>");
  EXPECT_EQ(p.header.get("To"), "<alice@a.example>");
  EXPECT_EQ(p.header.get("Subject"), "Undelivered Mail Returned to Sender");
  EXPECT_EQ(p.header.get("Auto-Submitted"), "auto-replied");
  EXPECT_EQ(p.header.get("MIME-Version"), "1.0");
  EXPECT_TRUE(p.header.has("Date"));
  EXPECT_TRUE(p.header.get("Message-ID")->ends_with("@gw.a.example>"));
  EXPECT_TRUE(p.header.get("Content-Type")->starts_with("multipart/report; report-type=delivery-status;"));

  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_TRUE(p.parts[0].header.get("Content-Type")->starts_with("text/plain"));
  const std::string& text = p.parts[0].body;
  EXPECT_NE(text.find("<bob@b.example>: host mx.b.example said: 550 5.1.1"), std::string::npos) << text;
  EXPECT_NE(text.find("<dave@c.example>: 554 transaction failed"), std::string::npos) << text;
  EXPECT_EQ(text.find("carol"), std::string::npos) << "unreported recipient leaked:\n" << text;

  EXPECT_EQ(p.parts[1].header.get("Content-Type"), "message/delivery-status");
  auto blocks = status_blocks(p.parts[1].body);
  ASSERT_EQ(blocks.size(), 3u) << p.parts[1].body;
  EXPECT_EQ(blocks[0].get("Reporting-MTA"), "dns; gw.a.example");
  EXPECT_TRUE(blocks[0].has("Arrival-Date"));
  EXPECT_FALSE(blocks[0].has("Original-Envelope-Id"));
  EXPECT_EQ(blocks[1].get("Final-Recipient"), "rfc822; bob@b.example");
  EXPECT_EQ(blocks[1].get("Action"), "failed");
  EXPECT_EQ(blocks[1].get("Status"), "5.1.1");
  EXPECT_EQ(blocks[1].get("Remote-MTA"), "dns; mx.b.example");
  EXPECT_EQ(blocks[1].get("Diagnostic-Code"), "smtp; 550 5.1.1 <bob@b.example>: no such user");
  EXPECT_TRUE(blocks[1].has("Last-Attempt-Date"));
  EXPECT_FALSE(blocks[1].has("Original-Recipient"));
  EXPECT_FALSE(blocks[1].has("Will-Retry-Until"));
  EXPECT_EQ(blocks[2].get("Final-Recipient"), "rfc822; dave@c.example");
  EXPECT_EQ(blocks[2].get("Status"), "5.0.0");
  EXPECT_FALSE(blocks[2].has("Remote-MTA"));
  EXPECT_EQ(p.parts[1].body.find("carol"), std::string::npos);

  EXPECT_EQ(p.parts[2].header.get("Content-Type"), "message/rfc822");
  EXPECT_EQ(p.parts[2].body, kOriginal);
}

TEST(Dsn, RetHdrsReturnsOnlyTheHeader) {
  DsnReport r = base_report();
  r.envelope.ret = Ret::hdrs;
  r.recipients = {{0, DsnAction::failed}};
  auto out = compose_dsn(r);
  ASSERT_TRUE(out);
  Parsed p = parse(*out);
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_EQ(p.parts[2].header.get("Content-Type"), "text/rfc822-headers");
  EXPECT_EQ(p.parts[2].body, r.original_headers);
  EXPECT_EQ(out->find("See you at noon"), std::string::npos);
}

TEST(Dsn, TooLargeOriginalReturnsOnlyTheHeader) {
  DsnReport r = base_report();
  r.original_headers.clear();  // derived from the original
  r.original = kOriginal + std::string(200, 'x') + "\r\n";
  r.return_limit = 100;
  r.recipients = {{0, DsnAction::failed}};
  auto out = compose_dsn(r);
  ASSERT_TRUE(out);
  Parsed p = parse(*out);
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_EQ(p.parts[2].header.get("Content-Type"), "text/rfc822-headers");
  EXPECT_EQ(p.parts[2].body, kOriginal.substr(0, kOriginal.find("\r\n\r\n") + 2));
}

TEST(Dsn, EnvidAndOrcpt) {
  DsnReport r = base_report();
  r.envelope.envid = "QQ314159";
  r.envelope.recipients[0].orcpt = "rfc822;Bob.Smith@b.example";
  r.recipients = {{0, DsnAction::failed}};
  auto out = compose_dsn(r);
  ASSERT_TRUE(out);
  Parsed p = parse(*out);
  auto blocks = status_blocks(p.parts[1].body);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].get("Original-Envelope-Id"), "QQ314159");
  EXPECT_EQ(blocks[1].get("Original-Recipient"), "rfc822; Bob.Smith@b.example");
  EXPECT_EQ(blocks[1].get("Final-Recipient"), "rfc822; bob@b.example");
  EXPECT_NE(p.parts[0].body.find("(expanded from <Bob.Smith@b.example>)"), std::string::npos);
}

TEST(Dsn, DelayReport) {
  DsnReport r = base_report();
  r.envelope.recipients[0].last_reply = "451 4.4.1 connection timed out";
  r.will_retry_until = r.now + 4 * 86400;
  r.recipients = {{0, DsnAction::delayed, "mx.b.example"}};
  auto out = compose_dsn(r);
  ASSERT_TRUE(out);
  Parsed p = parse(*out);
  EXPECT_EQ(p.header.get("Subject"), "Delayed Mail (still being retried)");
  EXPECT_NE(p.parts[0].body.find("WARNING ONLY"), std::string::npos);
  EXPECT_NE(p.parts[0].body.find("until " + format_date(r.will_retry_until)), std::string::npos)
      << p.parts[0].body;
  auto blocks = status_blocks(p.parts[1].body);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[1].get("Action"), "delayed");
  EXPECT_EQ(blocks[1].get("Status"), "4.4.1");
  EXPECT_EQ(blocks[1].get("Will-Retry-Until"), format_date(r.will_retry_until));
  // Delay warnings carry the header only: the sender still has the message.
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_EQ(p.parts[2].header.get("Content-Type"), "text/rfc822-headers");
}

TEST(Dsn, SuccessReport) {
  DsnReport r = base_report();
  r.recipients = {{1, DsnAction::delivered, "mx.b.example"}};
  auto out = compose_dsn(r);
  ASSERT_TRUE(out);
  Parsed p = parse(*out);
  EXPECT_EQ(p.header.get("Subject"), "Successful Mail Delivery Report");
  auto blocks = status_blocks(p.parts[1].body);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[1].get("Action"), "delivered");
  EXPECT_EQ(blocks[1].get("Status"), "2.0.0");
  EXPECT_EQ(out->find("bob@b.example>:"), std::string::npos);
}

TEST(Dsn, BoundaryAvoidsContent) {
  DsnReport r = base_report();
  r.recipients = {{0, DsnAction::failed}};
  auto first = compose_dsn(r);
  ASSERT_TRUE(first);
  std::string natural = parse(*first).boundary;
  // The original now contains a line starting with that very boundary.
  r.original = "Subject: trap\r\n\r\n--" + natural + "\r\nContent-Type: text/plain\r\n\r\n--" +
               natural + "--\r\n";
  auto out = compose_dsn(r);
  ASSERT_TRUE(out);
  Parsed p = parse(*out);
  EXPECT_NE(p.boundary, natural);
  EXPECT_EQ(r.original->find(p.boundary), std::string::npos);
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_EQ(p.parts[2].body, *r.original);
}

TEST(Dsn, HostileValuesCannotInjectFields) {
  DsnReport r = base_report();
  r.envelope.recipients[0].last_reply = "550 5.1.1 bad\r\nAction: delivered";
  r.envelope.envid = "x\r\nStatus: 2.0.0";
  r.recipients = {{0, DsnAction::failed}};
  // Extension fields too stay one field each; one without a name is a note.
  r.recipients[0].extra_fields = {"X-A: one\r\nAction: delivered", "no colon here"};
  auto out = compose_dsn(r);
  ASSERT_TRUE(out);
  Parsed p = parse(*out);
  auto blocks = status_blocks(p.parts[1].body);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[1].get_all("Action").size(), 1u);
  EXPECT_EQ(blocks[1].get("Action"), "failed");
  EXPECT_EQ(blocks[1].get("X-SecureMail-Note"), "no colon here");
  EXPECT_EQ(blocks[0].get_all("Status").size(), 0u);
}

TEST(Dsn, RefusesBadInput) {
  DsnReport r = base_report();
  r.recipients = {};
  EXPECT_FALSE(compose_dsn(r));
  r.recipients = {{7, DsnAction::failed}};
  EXPECT_FALSE(compose_dsn(r));
  r.recipients = {{0, DsnAction::failed}};
  r.envelope.sender.clear();
  EXPECT_FALSE(compose_dsn(r));
}

TEST(Dsn, BareLfOriginalBecomesCrlf) {
  DsnReport r = base_report();
  r.original = "Subject: lf\n\nline one\nline two\n";
  r.original_headers = "Subject: lf\n";
  r.recipients = {{0, DsnAction::failed}};
  auto out = compose_dsn(r);
  ASSERT_TRUE(out);
  Parsed p = parse(*out);
  EXPECT_EQ(p.parts[2].body, "Subject: lf\r\n\r\nline one\r\nline two\r\n");
}

TEST(Dsn, BareCrOriginalBecomesCrlf) {
  DsnReport r = base_report();
  r.original = "Subject: cr\r\n\r\nline one\rline two\r\n\rend\r";
  r.recipients = {{0, DsnAction::failed}};
  auto out = compose_dsn(r);
  ASSERT_TRUE(out);
  Parsed p = parse(*out);
  EXPECT_EQ(p.parts[2].body, "Subject: cr\r\n\r\nline one\r\nline two\r\n\r\nend\r\n");
  // No CR anywhere in the report that is not followed by LF.
  for (std::size_t i = 0; i < out->size(); ++i)
    if ((*out)[i] == '\r') ASSERT_TRUE(i + 1 < out->size() && (*out)[i + 1] == '\n') << "bare CR at " << i;
}

// Issue 13: the report that carries a signed receipt, and the one that says
// delivery was not confirmed.
TEST(Dsn, ReceiptReportCarriesExtraFieldsAndTheReceiptPart) {
  DsnReport r = base_report();
  r.envelope.recipients[1].last_reply.clear();
  r.envelope.recipients[1].orcpt = "rfc822;Carol@b.example";
  DsnRecipient d{1, DsnAction::delivered};
  d.extra_fields = {"X-SecureMail-Receipt-Signed: Tue, 04 Mar 2025 13:05:09 +0000", "X-SecureMail-Receipt-Member: b"};
  r.recipients = {d};
  r.from = "MAILER-DAEMON@a.example";
  std::string receipt;
  for (int i = 0; i < 300; ++i) receipt += static_cast<char>(i * 7);  // binary, 400 base64 characters
  r.extra_parts.push_back({"application/pkcs7-mime; smime-type=signed-receipt; name=\"receipt.p7m\"", "receipt.p7m", receipt});
  auto out = compose_dsn(r);
  ASSERT_TRUE(out) << out.error().text;
  Parsed p = parse(*out);
  EXPECT_EQ(p.header.get("From"), "\"Mail Delivery System\" <MAILER-DAEMON@a.example>");
  EXPECT_EQ(p.header.get("Subject"), "Successful Mail Delivery Report");
  ASSERT_EQ(p.parts.size(), 4u);  // text, status, the receipt, the original's header
  auto blocks = status_blocks(p.parts[1].body);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[1].get("Action"), "delivered");
  EXPECT_EQ(blocks[1].get("Status"), "2.0.0");
  EXPECT_EQ(blocks[1].get("Original-Recipient"), "rfc822; Carol@b.example");
  EXPECT_EQ(blocks[1].get("X-SecureMail-Receipt-Signed"), "Tue, 04 Mar 2025 13:05:09 +0000");
  EXPECT_EQ(blocks[1].get("X-SecureMail-Receipt-Member"), "b");
  const Part& part = p.parts[2];
  EXPECT_EQ(part.header.get("Content-Type"), "application/pkcs7-mime; smime-type=signed-receipt; name=\"receipt.p7m\"");
  EXPECT_EQ(part.header.get("Content-Transfer-Encoding"), "base64");
  EXPECT_EQ(part.header.get("Content-Disposition"), "attachment; filename=\"receipt.p7m\"");
  // 76-column lines, CRLF, and the octets come back exactly.
  std::string body = part.body;
  std::size_t lines = 0;
  for (std::size_t pos = 0; pos < body.size();) {
    std::size_t eol = body.find("\r\n", pos);
    ASSERT_NE(eol, std::string::npos);
    if (eol > pos) {
      ++lines;
      EXPECT_LE(eol - pos, 76u);
      if (lines < 6) EXPECT_EQ(eol - pos, 76u);
    }
    pos = eol + 2;
  }
  EXPECT_EQ(lines, 6u);  // 400 characters: five full lines and one of 20
  auto decoded = decode_base64_body(body);
  ASSERT_TRUE(decoded) << decoded.error().text;
  EXPECT_EQ(*decoded, receipt);
  EXPECT_EQ(p.parts[3].header.get("Content-Type"), "text/rfc822-headers");
}

TEST(Dsn, NotConfirmedReportUsesTheExplanationAndDiagnostic) {
  DsnReport r = base_report();
  for (auto& rc : r.envelope.recipients) rc.last_reply.clear();
  DsnRecipient d0{0, DsnAction::relayed}, d1{1, DsnAction::relayed};
  d0.extra_fields = d1.extra_fields = {"X-SecureMail-Receipt: timed-out"};
  d0.diagnostic = d1.diagnostic = "no signed receipt from member b within 24h";
  r.recipients = {d0, d1};
  r.explanation = "Delivery to <bob@b.example>, <carol@b.example> was not confirmed: no signed receipt arrived from member b within 24h.";
  auto out = compose_dsn(r);
  ASSERT_TRUE(out) << out.error().text;
  Parsed p = parse(*out);
  EXPECT_EQ(p.header.get("Subject"), "Relayed Mail: Delivery Not Confirmed");
  const std::string& text = p.parts[0].body;
  EXPECT_NE(text.find("Delivery to <bob@b.example>, <carol@b.example> was not confirmed: no\r\nsigned receipt"),
            std::string::npos) << text;  // wrapped at 72 columns
  EXPECT_EQ(text.find("Your message was delivered"), std::string::npos) << text;
  EXPECT_NE(text.find("<bob@b.example>: no signed receipt from member b within 24h"), std::string::npos) << text;
  auto blocks = status_blocks(p.parts[1].body);
  ASSERT_EQ(blocks.size(), 3u);
  for (int i : {1, 2}) {
    EXPECT_EQ(blocks[i].get("Action"), "relayed");
    EXPECT_EQ(blocks[i].get("Status"), "2.0.0");
    EXPECT_EQ(blocks[i].get("X-SecureMail-Receipt"), "timed-out");
    EXPECT_EQ(blocks[i].get("Diagnostic-Code"), "X-SecureMail; no signed receipt from member b within 24h");
  }
}
