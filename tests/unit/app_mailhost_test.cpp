// app_mailhost_test.cpp - `securemail mailhost`: the Dovecot configuration
// worked out from a gateway config (what it serves, as whom, the clear
// refusals), and the checkpassword request parsing. The real Dovecot runs
// in tests/e2e/test_dovecot.py.
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <fstream>

#include "app/mailhost_parts.h"
#include "temp_dir.h"

namespace sm::app::mailhost {
namespace {

using test_support::TempDir;

config::Config load(const TempDir& dir, const std::string& extra) {
  std::string text = "domain = \"b.example\"\ndata_dir = \"" + (dir.path / "data").string() + "\"\n" +
                     "[tls]\ncert = \"" + (dir.path / "cert.pem").string() + "\"\nkey = \"" +
                     (dir.path / "key.pem").string() + "\"\n" + extra;
  auto c = config::load_string(text, "t.toml", dir.path);
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error());
  return *c;
}

// A [run] user that is not root, so the plan works as root and as a user.
std::string run_section() {
  if (::geteuid() != 0) return "";
  return "[run]\nuser = \"nobody\"\n";
}

TEST(MailhostPlan, ServesTheMaildirsOverImapsWithTheGatewayCertificate) {
  TempDir dir("sm-mailhost");
  auto c = load(dir, "[deliver]\ninternal = \"maildir:/srv/mail\"\n" + run_section());
  auto plan = plan_dovecot(c, dir.path / "t.toml", dir.path / "dovecot", "127.0.0.1:10993");
  ASSERT_TRUE(plan) << plan.error().text;
  EXPECT_EQ(plan->maildir_root, "/srv/mail");
  EXPECT_NE(plan->mail_uid, 0u);
  std::string conf = dovecot_conf(*plan);
  for (const std::string& needle : std::vector<std::string>{"protocols = imap\n", "listen = 127.0.0.1\n", "ssl = required\n", "disable_plaintext_auth = yes\n",
        "mail_location = maildir:/srv/mail/%n\n", "driver = checkpassword\n",
        "args = " + (dir.path / "dovecot" / "checkpassword").string() + "\n",
        "ssl_cert = <" + (dir.path / "cert.pem").string() + "\n", "port = 10993\n    ssl = yes\n",
        "base_dir = " + (dir.path / "dovecot" / "run").string() + "\n",
        "uid=" + std::to_string(plan->mail_uid) + " gid=" + std::to_string(plan->mail_gid)}) {
    EXPECT_NE(conf.find(needle), std::string::npos) << needle << "\n" << conf;
  }
  EXPECT_EQ(conf.find("pop3"), std::string::npos);
  EXPECT_EQ(conf.find("lmtp"), std::string::npos);
  std::string helper = helper_script(*plan);
  EXPECT_NE(helper.find(" mailhost checkpassword --config '" + (dir.path / "t.toml").string() + "' -- \"$@\""),
            std::string::npos)
      << helper;
}

TEST(MailhostPlan, RefusesATargetThatIsNotAMaildir) {
  TempDir dir("sm-mailhost");
  auto c = load(dir, "[deliver]\ninternal = \"lmtp://127.0.0.1:24\"\n" + run_section());
  auto plan = plan_dovecot(c, dir.path / "t.toml", dir.path / "dovecot", "*:993");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().text.find("[deliver] internal is lmtp://127.0.0.1:24"), std::string::npos)
      << plan.error().text;
}

TEST(MailhostPlan, RefusesBadImapEndpointsAndUnknownRunUsers) {
  TempDir dir("sm-mailhost");
  auto c = load(dir, run_section());
  for (const char* bad : {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:99999", ":993"}) {
    auto plan = plan_dovecot(c, dir.path / "t.toml", dir.path / "dovecot", bad);
    ASSERT_FALSE(plan) << bad;
    EXPECT_NE(plan.error().text.find(std::string("--imap ") + bad), std::string::npos) << plan.error().text;
  }
  auto star = plan_dovecot(c, dir.path / "t.toml", dir.path / "dovecot", "*:993");
  ASSERT_TRUE(star) << star.error().text;
  EXPECT_NE(dovecot_conf(*star).find("listen = *\n"), std::string::npos);

  auto ghost = load(dir, "[run]\nuser = \"no-such-user-sm\"\n");
  auto plan = plan_dovecot(ghost, dir.path / "t.toml", dir.path / "dovecot", "*:993");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().text.find("[run] user no-such-user-sm does not exist"), std::string::npos)
      << plan.error().text;
}

TEST(MailhostPlan, RefusesMaildirsThatWouldBelongToRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "only root can end up with root's Maildirs";
  TempDir dir("sm-mailhost");
  auto plan = plan_dovecot(load(dir, ""), dir.path / "t.toml", dir.path / "dovecot", "*:993");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().text.find("would belong to root"), std::string::npos) << plan.error().text;
}

TEST(MailhostCheckpassword, ParsesUserAndSecretAndRefusesOtherShapes) {
  using namespace std::string_view_literals;
  auto r = parse_login_request("bob\0hunter2123456\0"sv);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user, "bob");
  EXPECT_EQ(r->secret, "hunter2123456");
  auto with_time = parse_login_request("bob\0pw\0" "1733280000\0"sv);
  ASSERT_TRUE(with_time);
  EXPECT_EQ(with_time->secret, "pw");
  EXPECT_FALSE(parse_login_request("bob"sv));
  EXPECT_FALSE(parse_login_request("bob\0pw"sv));
  EXPECT_FALSE(parse_login_request("\0pw\0"sv));
}

}  // namespace
}  // namespace sm::app::mailhost
