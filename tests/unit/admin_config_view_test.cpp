// admin_config_view_test.cpp - the redaction of GET /v1/config: which key
// names are secrets (and which are file paths that stay), secrets nested
// in tables and arrays of tables replaced, and the real described config
// (every default) turned into JSON without losing a key.
#include "admin/config_view.h"

#include <gtest/gtest.h>

#include <cctype>
#include <sstream>

using namespace sm;

namespace {

TEST(ConfigView, SecretNames) {
  for (const char* key : {"password", "relay.password", "smtp_password", "webhooks.secret", "client_secret",
                          "admin.token", "api-token", "dkim.signing_key", "key", "hmac_key", "passphrase",
                          "x.credentials", "totp.seed", "peer.psk", "DB_PASSWORD"})
    EXPECT_TRUE(admin::secret_key(key)) << key;
  for (const char* key : {"tls.key", "tls.cert", "password_file", "relay.passphrase_file", "key_dir", "secret_path",
                          "queue.lifetime", "key_type", "keys", "routes.token.example", "markings.accreditation",
                          "directory.feed", "auth.max_failures", "pickup.pdf_password_to"})
    EXPECT_FALSE(admin::secret_key(key)) << key;
}

TEST(ConfigView, SecretsAreReplacedWhereverTheyAre) {
  auto view = admin::config_view(
      "data_dir = \"/var/lib/securemail\"\n"
      "[tls]\ncert = \"/etc/gw/cert.pem\"\nkey = \"/etc/gw/key.pem\"\n"
      "[relay]\npassword = \"hunter2\"\npassword_file = \"/etc/gw/relay.pass\"\nport = 587\n"
      "[[webhooks]]\nurl = \"https://hook.example/a\"\nsecret = \"s3cret-one\"\n"
      "[[webhooks]]\nurl = \"https://hook.example/b\"\nsecret = \"s3cret-two\"\n"
      "[nested.deeper]\napi_token = \"tok-123\"\nenabled = true\nratio = 0.5\nlist = [\"a\", \"b\"]\n");
  ASSERT_TRUE(view) << view.error().text;
  const auto& s = view->settings;
  EXPECT_EQ(s["tls"]["key"], "/etc/gw/key.pem");
  EXPECT_EQ(s["relay"]["password"], admin::kRedacted);
  EXPECT_EQ(s["relay"]["password_file"], "/etc/gw/relay.pass");
  EXPECT_EQ(s["relay"]["port"], 587);
  EXPECT_EQ(s["webhooks"][1]["url"], "https://hook.example/b");
  EXPECT_EQ(s["webhooks"][1]["secret"], admin::kRedacted);
  EXPECT_EQ(s["nested"]["deeper"]["api_token"], admin::kRedacted);
  EXPECT_EQ(s["nested"]["deeper"]["enabled"], true);
  EXPECT_EQ(s["nested"]["deeper"]["ratio"], 0.5);
  EXPECT_EQ(s["nested"]["deeper"]["list"], nlohmann::json({"a", "b"}));
  EXPECT_EQ(view->redacted,
            (std::vector<std::string>{"nested.deeper.api_token", "relay.password", "webhooks.secret", "webhooks.secret"}));
  std::string text = s.dump();
  for (const char* secret : {"hunter2", "s3cret-one", "s3cret-two", "tok-123"})
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
}

TEST(ConfigView, BadTomlIsAnErrorNamingTheLine) {
  auto view = admin::config_view("a = 1\nb = = 2\n");
  ASSERT_FALSE(view);
  EXPECT_NE(view.error().text.find("line 2"), std::string::npos) << view.error().text;
}

TEST(ConfigView, EveryDescribedKeyIsThere) {
  config::Config c = config::embedded_default();
  std::string described = config::describe(c);
  auto view = admin::config_view(c);
  ASSERT_TRUE(view) << view.error().text;
  EXPECT_TRUE(view->redacted.empty());  // today's config holds no secret: keys and passwords are files
  // Each dotted "key = value" line before the first [[block]] is in the JSON.
  std::istringstream in(described);
  std::string line;
  int seen = 0;
  while (std::getline(in, line) && !line.starts_with("[[")) {
    auto eq = line.find(" = ");
    // Comments, lines inside a multi-line array, quoted keys: not simple dotted keys.
    if (!std::isalpha(static_cast<unsigned char>(line[0])) || eq == std::string::npos || line.find('"') < eq) continue;
    const nlohmann::json* node = &view->settings;
    std::istringstream key(line.substr(0, eq));
    for (std::string part; std::getline(key, part, '.');) {
      ASSERT_TRUE(node->is_object() && node->contains(part)) << line;
      node = &(*node)[part];
    }
    ++seen;
  }
  EXPECT_GT(seen, 50);
  EXPECT_EQ(view->settings["queue"]["lifetime"], "5d");
  EXPECT_EQ(view->settings["tls"]["key"], "");
  EXPECT_EQ(view->settings["limits"]["max_recipients"], 1000);
}

}  // namespace
