// admin_api_records_test.cpp - the read-only /v1 routes over the gateway's
// records, through AdminServer::answer() on real files in a data folder:
// receipts (filters, their 400s, show by any id, 404), accounts (never a
// password hash, TOTP seed, device password or recovery code), key sets
// (active and retired, days to expiry, the TLS certificate), the running
// config, and the alerts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "admin/api.h"
#include "admin_api_support.h"
#include "audit/audit.h"
#include "auth/accounts.h"
#include "evidence/ledger.h"
#include "pki/authority.h"
#include "pki/certificate.h"
#include "pki/keyring.h"
#include "pki_test_support.h"

using namespace sm;
using test_support::ApiReply;
using test_support::TempDir;

namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kDay = 86400;

class AdminApiRecords : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auth_ = new TempDir;
    ASSERT_TRUE(pki::testing::init_test_authority(auth_->path / "AUTH"));
  }
  static void TearDownTestSuite() { delete auth_; }

  void SetUp() override {
    tokens = std::move(*admin::TokenStore::open(dir.path));
    reader = *tokens->create("viewer", admin::Scope::read, 1);
    trail = std::shared_ptr<audit::AuditTrail>(std::move(*audit::AuditTrail::open(dir.path)));
    config = *config::load_string("[queue]\nlifetime = \"3d\"\n", "test.toml", dir.path);
    admin::ApiContext ctx;
    ctx.tokens = tokens.get();
    ctx.trail = trail;
    ctx.now = [this] { return now; };
    ctx.data_dir = dir.path;
    ctx.tls_cert = dir.path / "tls.pem";
    ctx.config = &config;
    ctx.alerts = [this] { return alerts; };
    admin::register_api_routes(server, ctx);
  }

  ApiReply get(const std::string& target, const std::string& token) {
    return test_support::ask_api(server, "GET", target, token);
  }
  ApiReply get(const std::string& target) { return get(target, reader); }

  void add_seals() {
    auto ledger = evidence::ReceiptLedger::open(dir.path);
    ASSERT_TRUE(ledger) << ledger.error().text;
    evidence::SealRecord seal{"ci1", "m1@a.example", "alice@a.example", "", "b.example", "Q1", now - 3 * 3600, "sd",
                              {{"bob@b.example", ""}, {"carol@b.example", ""}}};
    ASSERT_TRUE((*ledger)->add(seal));
    seal.content_identifier = "ci2";
    seal.message_id = "m2@a.example";
    seal.queue_id = "Q2";
    seal.sealed_at = now - 600;
    seal.recipients = {{"dave@c.example", ""}};
    seal.member = "c.example";
    ASSERT_TRUE((*ledger)->add(seal));
    ASSERT_TRUE((*ledger)->settle("ci1", "bob@b.example", now - 3000, now - 2900, "ab", "fp"));
  }

  // A key set whose certificate expires `days` days and an hour from now.
  std::string install_key_set(int days) {
    auto key = pki::generate_key(pki::KeyType::ec_p256);
    auto a = pki::Authority::open(auth_->path / "AUTH");
    pki::GatewayCertRequest req;
    req.domains = {"gw.example", "mail.gw.example"};
    req.public_key = key->get();
    req.not_before = now - kDay;
    req.not_after = now + days * kDay + 3600;
    auto cert = a->issue(req);
    auto id = pki::Keyring::install(dir.path, key->get(), cert->get());
    EXPECT_TRUE(id) << id.error().text;
    tls_pem = pki::to_pem(cert->get());
    return *id;
  }

  static std::vector<std::string> field(const nlohmann::json& rows, const std::string& name) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r[name].get<std::string>());
    return out;
  }

  static inline TempDir* auth_ = nullptr;
  TempDir dir;
  std::unique_ptr<admin::TokenStore> tokens;
  std::string reader;
  std::shared_ptr<audit::AuditTrail> trail;
  config::Config config;
  std::vector<admin::Alert> alerts;
  std::int64_t now = std::time(nullptr);
  std::string tls_pem;
  admin::AdminServer server{[] { return admin::Health{}; }};
};

using V = std::vector<std::string>;

TEST_F(AdminApiRecords, EveryRouteNeedsAToken) {
  for (const char* route : {"/v1/receipts", "/v1/receipts/ci1", "/v1/accounts", "/v1/accounts/alice", "/v1/keys",
                            "/v1/config", "/v1/alerts"}) {
    for (const std::string& token : {std::string(), std::string("smt_unknown")}) {
      ApiReply r = get(route, token);
      EXPECT_EQ(r.status, 401) << route;
      EXPECT_NE(r.head.find("WWW-Authenticate: Bearer"), std::string::npos) << route;
      EXPECT_TRUE(r.body.contains("error")) << route;
    }
  }
}

TEST_F(AdminApiRecords, NothingRecordedYetIsEmptyAndCreatesNoFile) {
  ApiReply r = get("/v1/receipts");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["count"], 0);
  EXPECT_EQ(get("/v1/receipts/ci1").status, 404);
  r = get("/v1/accounts");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_TRUE(r.body["accounts"].empty());
  EXPECT_EQ(get("/v1/accounts/alice").status, 404);
  EXPECT_FALSE(fs::exists(dir.path / "receipts.sqlite"));
  EXPECT_FALSE(fs::exists(auth::AccountStore::file(dir.path)));
  r = get("/v1/keys");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_TRUE(r.body["key_sets"].empty());
  EXPECT_TRUE(r.body["tls"].contains("error"));  // tls.pem not written
}

TEST_F(AdminApiRecords, ReceiptsListedWithFilters) {
  add_seals();
  ApiReply r = get("/v1/receipts");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["count"], 3);
  EXPECT_EQ(r.body["complete"], true);
  EXPECT_EQ(field(r.body["receipts"], "recipient"), (V{"bob@b.example", "carol@b.example", "dave@c.example"}));
  EXPECT_EQ(r.body["receipts"][0]["state"], "received");
  EXPECT_EQ(r.body["receipts"][0]["signer_fingerprint"], "fp");
  EXPECT_EQ(r.body["receipts"][0]["sealed_at"], pki::iso_time(now - 3 * 3600));
  EXPECT_TRUE(r.body["receipts"][1]["settled_at"].is_null());
  EXPECT_EQ(field(get("/v1/receipts?pending=1").body["receipts"], "recipient"),
            (V{"carol@b.example", "dave@c.example"}));
  EXPECT_EQ(field(get("/v1/receipts?since=1h").body["receipts"], "recipient"), V{"dave@c.example"});
  EXPECT_EQ(field(get("/v1/receipts?since=" + std::to_string(now - 700)).body["receipts"], "recipient"),
            V{"dave@c.example"});
  EXPECT_EQ(field(get("/v1/receipts?message_id=%3Cm1@a.example%3E").body["receipts"], "recipient"),
            (V{"bob@b.example", "carol@b.example"}));
  r = get("/v1/receipts?limit=1");
  EXPECT_EQ(r.body["count"], 1);
  EXPECT_EQ(r.body["complete"], false);
}

TEST_F(AdminApiRecords, BadReceiptParametersAreNamed) {
  add_seals();
  for (auto [query, named] : std::vector<std::pair<std::string, std::string>>{
           {"pending=maybe", "pending"}, {"since=yesterday", "since"}, {"since=-5", "since"},
           {"message_id=", "message_id"}, {"limit=0", "limit"}, {"limit=10001", "limit"}, {"colour=red", "colour"}}) {
    ApiReply r = get("/v1/receipts?" + query);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_NE(r.body["error"].get<std::string>().find(named), std::string::npos) << r.body.dump();
  }
}

TEST_F(AdminApiRecords, OneReceiptRequestByAnyOfItsIds) {
  add_seals();
  for (const char* id : {"ci1", "Q1", "m1@a.example", "%3Cm1@a.example%3E"}) {
    ApiReply r = get(std::string("/v1/receipts/") + id);
    ASSERT_EQ(r.status, 200) << id << " " << r.body.dump();
    EXPECT_EQ(field(r.body["receipts"], "recipient"), (V{"bob@b.example", "carol@b.example"})) << id;
  }
  ApiReply r = get("/v1/receipts/nothing-like-it");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body["error"].get<std::string>().find("nothing-like-it"), std::string::npos);
}

TEST_F(AdminApiRecords, AccountsWithFlagsAndDevicesButNoSecret) {
  auto store = std::move(*auth::AccountStore::open(dir.path));
  const std::string password = "correct horse battery";
  ASSERT_TRUE(store->add("alice", {"alice@a.example", "al@a.example"}, password));
  ASSERT_TRUE(store->add("bob", {"bob@a.example"}, password));
  auto totp = store->enrol_totp("alice", "SecureMail");
  ASSERT_TRUE(totp) << totp.error().text;
  auto device = store->add_device("alice", "phone", true);
  ASSERT_TRUE(device) << device.error().text;
  ASSERT_TRUE(store->set_flag("alice", "sole-user", true, "ops"));
  auto stamp = store->credential_stamp("alice");
  ASSERT_TRUE(stamp && !stamp->empty());

  ApiReply list = get("/v1/accounts");
  ASSERT_EQ(list.status, 200) << list.body.dump();
  EXPECT_EQ(field(list.body["accounts"], "name"), (V{"alice", "bob"}));
  ApiReply one = get("/v1/accounts/ALICE");
  ASSERT_EQ(one.status, 200) << one.body.dump();
  const auto& a = one.body;
  EXPECT_EQ(a["addresses"], nlohmann::json({"alice@a.example", "al@a.example"}));
  EXPECT_EQ(a["totp"], true);
  EXPECT_EQ(a["devices"][0]["name"], "phone");
  EXPECT_TRUE(a["devices"][0]["last_used_at"].is_null());
  EXPECT_EQ(a["assurance"]["sole_user"]["set"], true);
  EXPECT_EQ(a["assurance"]["sole_user"]["by"], "ops");
  EXPECT_EQ(get("/v1/accounts/bob").body["totp"], false);
  EXPECT_EQ(get("/v1/accounts/carol").status, 404);
  EXPECT_EQ(get("/v1/accounts?colour=red").status, 400);

  // No secret in any answer: password, its argon2id hash, the credential
  // stamp, the TOTP seed and URI, the recovery codes, the device password.
  std::vector<std::string> secrets = {password, "$argon2", *stamp, totp->secret_base32, totp->uri, *device};
  secrets.insert(secrets.end(), totp->recovery_codes.begin(), totp->recovery_codes.end());
  for (const std::string& answer : {list.body.dump(), one.body.dump()})
    for (const auto& secret : secrets) EXPECT_EQ(answer.find(secret), std::string::npos) << secret;
}

TEST_F(AdminApiRecords, KeySetsWithExpiryAndUseAndTheTlsCertificate) {
  std::string old_id = install_key_set(40);
  std::string new_id = install_key_set(400);
  pki::testing::write_text(dir.path / "tls.pem", tls_pem);
  ApiReply r = get("/v1/keys");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_EQ(r.body["key_sets"].size(), 2u);
  const auto& active = r.body["key_sets"][0];
  const auto& retired = r.body["key_sets"][1];
  EXPECT_EQ(active["id"], new_id);
  EXPECT_EQ(active["status"], "active");
  EXPECT_EQ(active["use"], nlohmann::json::array({"sign", "open"}));
  EXPECT_EQ(active["days_to_expiry"], 400);
  EXPECT_EQ(active["type"], "ec-p256");
  EXPECT_EQ(active["domains"], nlohmann::json({"gw.example", "mail.gw.example"}));
  EXPECT_NE(active["subject"].get<std::string>().find("gw.example"), std::string::npos);
  EXPECT_EQ(retired["id"], old_id);
  EXPECT_EQ(retired["status"], "retired");
  EXPECT_EQ(retired["use"], nlohmann::json::array({"open"}));
  EXPECT_EQ(retired["days_to_expiry"], 40);
  EXPECT_EQ(r.body["tls"]["days_to_expiry"], 400);
  EXPECT_EQ(r.body["tls"]["file"], (dir.path / "tls.pem").string());
  EXPECT_EQ(r.body.dump().find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(get("/v1/keys?all=1").status, 400);
}

TEST_F(AdminApiRecords, RunningConfigAsJson) {
  ApiReply r = get("/v1/config");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["source"], "test.toml");
  EXPECT_EQ(r.body["settings"]["queue"]["lifetime"], "3d");
  EXPECT_TRUE(r.body["settings"]["listen"].is_object());
  EXPECT_TRUE(r.body["redacted"].is_array());
  EXPECT_EQ(get("/v1/config?raw=1").status, 400);
}

TEST_F(AdminApiRecords, AlertsAsTheyHold) {
  ApiReply r = get("/v1/alerts");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["count"], 0);
  alerts.push_back({"directory-stale", admin::Severity::critical, now - 60, "directory serial 4 is STALE"});
  r = get("/v1/alerts");
  ASSERT_EQ(r.body["count"], 1);
  EXPECT_EQ(r.body["alerts"][0]["name"], "directory-stale");
  EXPECT_EQ(r.body["alerts"][0]["severity"], "critical");
  EXPECT_EQ(r.body["alerts"][0]["since"], pki::iso_time(now - 60));
  EXPECT_EQ(r.body["alerts"][0]["message"], "directory serial 4 is STALE");
  EXPECT_EQ(get("/v1/alerts?severity=x").status, 400);
}

}  // namespace
