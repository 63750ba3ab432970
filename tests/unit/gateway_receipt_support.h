// gateway_receipt_support.h - a small two-gateway world for the receipt
// tests: gateway a (a.example) asks for receipts, b (b.example) and c
// (c.example) are members that sign them; real CMS from the smime
// functions, a real SQLite ledger and evidence store in a temp folder.
#pragma once

#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "directory/directory.h"
#include "directory_test_support.h"
#include "evidence/evidence_store.h"
#include "evidence/ledger.h"
#include "util/base64.h"
#include "pki/certificate.h"
#include "smime/receipt.h"
#include "smime_fixture.h"

namespace sm::gateway::testing {

struct ReceiptWorld {
  smtest::TestPki& pki = smtest::TestPki::get();
  const smtest::Gateway& a = pki.gateway("a.example");
  const smtest::Gateway& b = pki.gateway("b.example");
  const smtest::Gateway& c = pki.gateway("c.example");
  pki::TrustStore trust = pki.trust();
  test_support::TempDir dir{"sm-receipts"};
  config::Config config;
  std::shared_ptr<evidence::ReceiptLedger> ledger;
  std::shared_ptr<evidence::EvidenceStore> evidence;
  std::shared_ptr<const directory::Directory> directory;
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));

  ReceiptWorld() {
    auto loaded = config::load_string("domain = \"a.example\"\nhostname = \"gw.a.example\"\n", "test.toml");
    EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error());
    if (loaded) config = *loaded;
    config.data_dir = dir.path;
    auto l = evidence::ReceiptLedger::open(dir.path);
    EXPECT_TRUE(l) << (l ? "" : l.error().text);
    if (l) ledger = *l;
    std::vector<smime::Recipient> own{a.recipient()};
    auto e = evidence::EvidenceStore::open(dir.path, own, {a.identity()});
    EXPECT_TRUE(e) << (e ? "" : e.error().text);
    if (e) evidence = *e;
    using directory::testing::make_feed;
    using directory::testing::make_member;
    // d.example is another customer of b's gateway (a service provider):
    // the same endpoints and certificate, so one sealed copy serves both.
    auto b = make_member("b", {"b.example"});
    auto d = make_member("d", {"d.example"});
    d.endpoints = b.endpoints;
    d.certificates = b.certificates;
    directory = directory::Directory::build(make_feed(1, {make_member("a", {"a.example"}), b, make_member("c", {"c.example"}), d}));
  }

  // What gateway a signs for a message to `recipients` asking for a
  // receipt under `identifier`: the ledger's record (not added yet).
  evidence::SealRecord ask(std::vector<std::string> recipients, std::string identifier = {},
                           std::string message_id = "1234@a.example") {
    if (identifier.empty()) identifier = smime::new_content_identifier().value();
    smime::SignOptions options;
    options.receipt_request = smime::ReceiptRequest{identifier, true, {}, {config.receipt_address()}};
    smime::SignedRecord record;
    options.record = &record;
    smtest::sign_string(smtest::sample_message("alice@a.example", recipients.front()), a.identity(), options);
    evidence::SealRecord seal;
    seal.content_identifier = record.content_identifier;
    seal.message_id = message_id;
    seal.sender = "alice@a.example";
    seal.envid = "env-1";
    seal.member = "b";  // the member of b.example
    seal.queue_id = "4F3A2B1C00000001";
    seal.sealed_at = now - 60;
    seal.signed_data = record.signed_data;
    for (auto& r : recipients) seal.recipients.push_back({r, "rfc822;" + r});
    return seal;
  }

  evidence::SealRecord asked(std::vector<std::string> recipients) {
    auto seal = ask(std::move(recipients));
    auto added = ledger->add(seal);
    EXPECT_TRUE(added) << (added ? "" : added.error().text);
    return seal;
  }

  std::string receipt_by(const smtest::Gateway& g, const evidence::SealRecord& seal) {
    auto r = smime::sign_receipt(seal.signed_data, g.identity());
    EXPECT_TRUE(r) << (r ? "" : r.error().text);
    return r ? *r : std::string();
  }

  // The receipt message as the receiving gateway writes it (design, issue 13).
  static std::string receipt_message(const std::string& recipient, const std::string& receipt,
                                     const std::string& from_domain = "b.example") {
    return "From: MAILER-DAEMON@" + from_domain + "\r\n"
           "To: securemail-receipts@a.example\r\n"
           "Subject: Signed receipt: <1234@a.example>\r\n"
           "Auto-Submitted: auto-replied\r\n"
           "SecureMail-Receipt-For: <" + recipient + ">\r\n"
           "SecureMail-Receipt-Message-Id: <1234@a.example>\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"rcpt-b\"\r\n"
           "\r\n"
           "--rcpt-b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
           "The message was delivered, decrypted and verified.\r\n"
           "--rcpt-b\r\nContent-Type: application/pkcs7-mime; smime-type=signed-receipt; name=\"receipt.p7m\"\r\n"
           "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"receipt.p7m\"\r\n\r\n" +
           base64_lines(receipt) + "--rcpt-b--\r\n";
  }

  std::vector<std::string> fingerprints(const smtest::Gateway& g) const { return {pki::fingerprint(g.cert.get())}; }
};

}  // namespace sm::gateway::testing
