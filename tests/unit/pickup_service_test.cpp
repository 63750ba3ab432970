// pickup_service_test.cpp - secure pickup as the gateway runs it, with the
// queue replaced by a list of what would be queued: a held message's
// notification names sender, organisation, reference, expiry and link but
// nothing of the content (the subject only when asked); the sender is told
// of each event once, in order; expiry deletes content and key and tells
// "expired unread"; a revocation by the command line is told on the next
// sweep; a notification that cannot be queued leaves nothing stored; a
// reply from the page is handed on to be queued and told to the sender once;
// the PDF option: the notification carries a PDF that opens with the password
// mailed apart (to the sender, or to the recipient in a mail of its own).
#include <gtest/gtest.h>
#include <qpdf/QPDF.hh>

#include <algorithm>

#include <regex>

#include "pickup/pdf.h"
#include "pickup/service.h"
#include "temp_dir.h"
#include "util/base64.h"

namespace sm::pickup {
namespace {

using test_support::TempDir;

constexpr std::string_view kMessage =
    "From: alice@a.example\r\nTo: bob@example.org\r\nSubject: Merger terms\r\n\r\nThe price is 42.\r\n";

class PickupService : public ::testing::Test {
 protected:
  void SetUp() override { open(false); }
  void open(bool show_subject, bool pdf_password_to_sender = true) {
    ServiceOptions o;
    o.public_url = "https://pickup.a.example/";
    o.expiry = std::chrono::hours(24);
    o.show_subject = show_subject;
    o.pdf_password_to_sender = pdf_password_to_sender;
    o.send = [this](const Outgoing& m) -> Result<void> {
      if (refuse_) return std::unexpected(Error{451, "4.3.0", "queue full"});
      queued_.push_back(m);
      return {};
    };
    o.now = [this] { return now_; };
    o.send_reply = [this](const Reply& r) -> Result<void> {
      replies_.push_back(r);
      return {};
    };
    service_.reset();
    auto s = Service::open(dir_.path, "a.example", o);
    ASSERT_TRUE(s) << s.error().text;
    service_ = std::move(*s);
  }
  std::vector<Outgoing> to(const std::string& who) {
    std::vector<Outgoing> out;
    for (const auto& m : queued_)
      if (m.recipient == who) out.push_back(m);
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Service> service_;
  std::vector<Outgoing> queued_;
  std::vector<Reply> replies_;
  std::int64_t now_ = 1'800'000'000;
  bool refuse_ = false;
};

TEST_F(PickupService, TheNotificationCarriesTheLinkAndNothingOfTheContent) {
  auto ref = service_->hold(kMessage, "alice@a.example", "bob@example.org", "a.example");
  ASSERT_TRUE(ref) << ref.error().text;
  auto bob = to("bob@example.org");
  ASSERT_EQ(bob.size(), 1u);
  EXPECT_EQ(bob[0].envelope_sender, "alice@a.example") << "a bounce of the notification reaches the sender";
  const std::string& n = bob[0].text;
  EXPECT_NE(n.find("From: \"Secure messages of a.example\" <secure-messages@a.example>"), std::string::npos) << n;
  EXPECT_NE(n.find("alice@a.example of a.example sent you a secure message"), std::string::npos);
  EXPECT_NE(n.find("Reference: " + *ref), std::string::npos);
  EXPECT_NE(n.find("Auto-Submitted: auto-generated"), std::string::npos);
  EXPECT_NE(n.find("never ask for\r\nthe password"), std::string::npos);
  EXPECT_NE(n.find("https://pickup.a.example/about"), std::string::npos);
  EXPECT_EQ(n.find("Merger"), std::string::npos);
  EXPECT_EQ(n.find("price"), std::string::npos);
  std::smatch link;
  ASSERT_TRUE(std::regex_search(n, link, std::regex("https://pickup\\.a\\.example/p/([A-Za-z0-9_-]{43})\r\n")));
  // The link opens the message's landing page; the ledger knows only its hash.
  admin::WebRequest r;
  r.method = "GET";
  r.path = "/p/" + link[1].str();
  auto page = service_->site().handle(r);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find(*ref), std::string::npos);
  // The sender hears that the recipient was notified.
  auto alice = to("alice@a.example");
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_NE(alice[0].text.find("notified [" + *ref + "]"), std::string::npos) << alice[0].text;
  EXPECT_EQ(alice[0].envelope_sender, "") << "event notices go with the null sender";
  service_->tell();
  EXPECT_EQ(to("alice@a.example").size(), 1u) << "told once";
}

TEST_F(PickupService, AReplyHeldAgainSaysItCameThroughTheGateway) {
  // Reply-all from a pickup page to another outside participant: held again.
  ASSERT_TRUE(service_->hold(kMessage, "bob@example.org", "carol@partner.example", "a.example"));
  const std::string n = to("carol@partner.example").at(0).text;
  EXPECT_NE(n.find("bob@example.org sent you a secure message through the secure gateway of a.example."),
            std::string::npos)
      << n;
  EXPECT_EQ(n.find(" of a.example sent"), std::string::npos);
}

TEST_F(PickupService, TheSubjectOnlyWhenAsked) {
  open(true);
  ASSERT_TRUE(service_->hold(kMessage, "alice@a.example", "bob@example.org", "a.example"));
  const std::string n = to("bob@example.org").at(0).text;
  EXPECT_NE(n.find("Subject: Secure message from a.example: Merger terms ["), std::string::npos) << n;
  EXPECT_EQ(n.find("price"), std::string::npos);
}

TEST_F(PickupService, ExpiryDeletesContentAndKeyAndTellsTheSender) {
  auto ref = *service_->hold(kMessage, "alice@a.example", "bob@example.org", "a.example");
  const auto file = Service::folder(dir_.path) / "content" / ref;
  ASSERT_TRUE(std::filesystem::exists(file));
  now_ += 24 * 3600 - 1;
  service_->sweep();
  EXPECT_TRUE(std::filesystem::exists(file));
  now_ += 1;
  service_->sweep();
  EXPECT_FALSE(std::filesystem::exists(file));
  auto row = service_->ledger().by_ref(ref);
  EXPECT_EQ(row->state, "expired");
  EXPECT_TRUE(row->sealed_key.empty());
  auto alice = to("alice@a.example");
  ASSERT_EQ(alice.size(), 2u);
  EXPECT_NE(alice[1].text.find("It expired and was deleted unread."), std::string::npos) << alice[1].text;
}

TEST_F(PickupService, ARevocationIsToldOnTheNextSweep) {
  auto ref = *service_->hold(kMessage, "alice@a.example", "bob@example.org", "a.example");
  // What `securemail pickup revoke` does, on its own ledger and vault.
  auto ledger = Ledger::open(Ledger::file_in(dir_.path));
  auto vault = Vault::open(Service::folder(dir_.path));
  auto revoked = revoke(*ledger, *vault, ref, "by the operator", now_);
  ASSERT_TRUE(revoked) << revoked.error().text;
  EXPECT_EQ(revoked->state, "revoked");
  EXPECT_FALSE(std::filesystem::exists(Service::folder(dir_.path) / "content" / ref));
  auto again = revoke(*ledger, *vault, ref, "again", now_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().enhanced, "5.7.0");
  EXPECT_EQ(revoke(*ledger, *vault, "P-0000-0000-0000", "x", now_).error().enhanced, "5.1.1");
  EXPECT_EQ(to("alice@a.example").size(), 1u);
  service_->sweep();
  auto alice = to("alice@a.example");
  ASSERT_EQ(alice.size(), 2u);
  EXPECT_NE(alice[1].text.find("It was withdrawn (by the operator)"), std::string::npos) << alice[1].text;
}

TEST_F(PickupService, AReplyIsHandedOnAndToldToTheSenderOnce) {
  auto ref = *service_->hold(kMessage, "alice@a.example", "bob@example.org", "a.example");
  std::smatch m;
  const std::string notification = to("bob@example.org").at(0).text;
  ASSERT_TRUE(std::regex_search(notification, m, std::regex("/p/([A-Za-z0-9_-]{43})\r\n")));
  const std::string link = "/p/" + m[1].str();
  auto handle = [this](std::string method, std::string path, std::string session, std::map<std::string, std::string> form) {
    admin::WebRequest r{.method = std::move(method), .path = std::move(path), .session_id = std::move(session), .form = std::move(form)};
    return service_->site().handle(r);
  };
  auto now = admin::SessionStore::Clock::now();
  auto landing = handle("GET", link, "", {});
  auto s = service_->site().sessions().find(landing.set_session, now);
  ASSERT_TRUE(s);
  handle("POST", link, s->id, {{"csrf", s->csrf}});
  const std::string code_mail = to("bob@example.org").at(1).text;
  ASSERT_TRUE(std::regex_search(code_mail, m, std::regex("  (\\d{4}) (\\d{4})\r\n")));
  auto in = handle("POST", link + "/sign-in", s->id, {{"csrf", s->csrf}, {"code", m[1].str() + m[2].str()}});
  s = service_->site().sessions().find(in.set_session, now);
  ASSERT_TRUE(s);
  auto sent = handle("POST", "/read/reply", s->id, {{"csrf", s->csrf}, {"reply", "Agreed."}});
  ASSERT_EQ(sent.status, 200) << sent.body;
  ASSERT_EQ(replies_.size(), 1u);
  EXPECT_EQ(replies_[0].recipients, std::vector<std::string>{"alice@a.example"});
  auto replied = [&] {
    return std::ranges::count_if(to("alice@a.example"), [&](const Outgoing& o) {
      return o.text.find("replied [" + ref + "]") != std::string::npos;
    });
  };
  ASSERT_EQ(replied(), 1);
  service_->sweep();
  service_->tell();
  EXPECT_EQ(replied(), 1) << "told once";
  auto alice = to("alice@a.example");
  EXPECT_NE(alice.back().text.find("The recipient replied from the pickup page (to alice@a.example)."), std::string::npos)
      << alice.back().text;
}

TEST_F(PickupService, ANotificationThatCannotBeQueuedLeavesNothing) {
  refuse_ = true;
  auto ref = service_->hold(kMessage, "alice@a.example", "bob@example.org", "a.example");
  ASSERT_FALSE(ref);
  EXPECT_EQ(ref.error().code, 451);
  EXPECT_TRUE(service_->ledger().list().empty());
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::is_empty(Service::folder(dir_.path) / "content", ec));
}

// The PDF attached to a notification (base64 between its part's head and
// the closing boundary); "" when there is none.
std::string attached_pdf(const std::string& mail) {
  auto head = mail.find("Content-Type: application/pdf");
  if (head == std::string::npos) return "";
  auto start = mail.find("\r\n\r\n", head) + 4;
  std::string b64;
  for (char c : mail.substr(start, mail.find("--", start) - start))
    if (c != '\r' && c != '\n') b64 += c;
  return base64_decode(b64).value_or("");
}

// The password in a password mail: the indented line of four groups.
std::string password_in(const std::string& mail) {
  std::smatch m;
  return std::regex_search(mail, m, std::regex("\r\n  ([2-9A-Z]{4}(-[2-9A-Z]{4}){3})\r\n")) ? m[1].str() : "";
}

bool opens(const std::string& pdf, const std::string& password) {
  try {
    QPDF q;
    q.setSuppressWarnings(true);
    q.processMemoryFile("m.pdf", pdf.data(), pdf.size(), password.c_str());
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

TEST_F(PickupService, PdfOptionOpensWithThePasswordMailedToTheSender) {
  auto ref = service_->hold(kMessage, "alice@a.example", "bob@example.org", "a.example", true);
  ASSERT_TRUE(ref) << ref.error().text;
  auto bob = to("bob@example.org");
  ASSERT_EQ(bob.size(), 1u) << "the recipient gets the notification only";
  const std::string pdf = attached_pdf(bob[0].text);
  ASSERT_FALSE(pdf.empty()) << bob[0].text.substr(0, 2000);
  EXPECT_NE(bob[0].text.find("filename=\"" + pdf_file_name(*ref) + "\""), std::string::npos);
  EXPECT_NE(bob[0].text.find("The sender has the password"), std::string::npos);
  EXPECT_EQ(bob[0].text.find("price"), std::string::npos) << "nothing of the content in clear";
  std::string password;
  for (const auto& m : to("alice@a.example"))
    if (m.text.find("Subject: Password for the PDF") != std::string::npos) password = password_in(m.text);
  ASSERT_FALSE(password.empty()) << "the sender is mailed the password";
  EXPECT_EQ(bob[0].text.find(password), std::string::npos) << "never in the mail with the PDF";
  EXPECT_TRUE(opens(pdf, password));
  EXPECT_FALSE(opens(pdf, ""));
  EXPECT_FALSE(opens(pdf, new_pdf_password()));
  // The ledger keeps nothing of it; its event says whom it went to.
  bool recorded = false;
  for (const auto& e : service_->ledger().events(*ref)) {
    EXPECT_EQ(e.detail.find(password), std::string::npos);
    recorded = recorded || (e.kind == "pdf" && e.detail == "password to the sender");
  }
  EXPECT_TRUE(recorded);
  // The page still works for the same message.
  EXPECT_TRUE(service_->ledger().by_ref(*ref)->readable(now_));
}

TEST_F(PickupService, PdfPasswordToTheRecipientComesInAMailOfItsOwn) {
  open(false, false);
  auto ref = service_->hold(kMessage, "alice@a.example", "bob@example.org", "a.example", true);
  ASSERT_TRUE(ref) << ref.error().text;
  auto bob = to("bob@example.org");
  ASSERT_EQ(bob.size(), 2u);
  EXPECT_EQ(attached_pdf(bob[0].text), "") << "the password mail comes first and carries no PDF";
  const std::string password = password_in(bob[0].text);
  ASSERT_FALSE(password.empty()) << bob[0].text;
  const std::string pdf = attached_pdf(bob[1].text);
  EXPECT_EQ(bob[1].text.find(password), std::string::npos);
  EXPECT_NE(bob[1].text.find("The password comes in a separate email"), std::string::npos);
  EXPECT_TRUE(opens(pdf, password));
  for (const auto& m : to("alice@a.example")) EXPECT_EQ(m.text.find(password), std::string::npos);
}

}  // namespace
}  // namespace sm::pickup
