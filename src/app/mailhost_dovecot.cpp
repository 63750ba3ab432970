// mailhost_dovecot.cpp - the Dovecot configuration `securemail mailhost
// init` writes (see mailhost_parts.h): a private Dovecot instance (own
// base_dir, state_dir and log) serving the gateway's Maildirs over IMAPS.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "app/mailhost_parts.h"
#include "gateway/gateway_keys.h"

namespace sm::app::mailhost {

namespace {

std::unexpected<Error> bad(std::string text) { return fail(554, "5.3.5", std::move(text)); }

// A value Dovecot reads verbatim to the end of the line.
bool one_line(const fs::path& p) {
  auto s = p.string();
  return s.find_first_of("\r\n") == std::string::npos;
}

// Quote for sh: '...' with ' written as '\''.
std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Result<config::Endpoint> parse_imap(std::string_view text) {
  std::string t(text);
  if (t.rfind("*:", 0) == 0) t = "0.0.0.0:" + t.substr(2);
  auto ep = config::parse_endpoint(t, false);
  if (!ep || !ep->enabled())
    return bad("--imap " + std::string(text) + ": " + (ep ? std::string("no host") : ep.error()));
  if (text.rfind("*:", 0) == 0) ep->host = "*";
  return *ep;
}

Result<> mail_owner(const config::Config& config, DovecotPlan& plan) {
  plan.as_root = ::geteuid() == 0;
  if (!config.run.user.empty()) {
    const passwd* pw = ::getpwnam(config.run.user.c_str());
    if (!pw) return bad("[run] user " + config.run.user + " does not exist on this host");
    plan.mail_user = pw->pw_name;
    plan.mail_uid = pw->pw_uid;
    plan.mail_gid = pw->pw_gid;
    if (!config.run.group.empty()) {
      const group* gr = ::getgrnam(config.run.group.c_str());
      if (!gr) return bad("[run] group " + config.run.group + " does not exist on this host");
      plan.mail_gid = gr->gr_gid;
    }
  } else {
    const passwd* pw = ::getpwuid(::geteuid());
    if (!pw) return bad("the user running this command (uid " + std::to_string(::geteuid()) + ") has no name");
    plan.mail_user = pw->pw_name;
    plan.mail_uid = pw->pw_uid;
    plan.mail_gid = ::getegid();
  }
  if (plan.mail_uid == 0)
    return bad("the Maildirs would belong to root (no [run] user in " + plan.config_file.string() +
               "), and Dovecot serves no mail as root: set [run] user to the account the gateway runs as");
  if (!plan.as_root && plan.mail_uid != ::geteuid())
    return bad("[run] user " + plan.mail_user + " owns the Maildirs: run mailhost init (and Dovecot) as " +
               plan.mail_user + " or as root");
  return {};
}

fs::path self_binary() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path("securemail") : p;
}

}  // namespace

Result<DovecotPlan> plan_dovecot(const config::Config& config, const fs::path& config_file,
                                 const fs::path& out_dir, std::string_view imap) {
  DovecotPlan plan;
  plan.config_file = fs::absolute(config_file).lexically_normal();
  plan.out_dir = fs::absolute(out_dir).lexically_normal();
  if (config.deliver.internal.kind != config::Target::Kind::maildir)
    return bad("[deliver] internal is " + config.deliver.internal.str() + " in " + plan.config_file.string() +
               ": Dovecot serves Maildirs, so it must be \"maildir:/path\" (the gateway delivers there)");
  plan.maildir_root = config.deliver.internal.path;
  plan.tls_cert = config.tls.development() ? config::Config::Tls::dev_cert(config.data_dir) : config.tls.cert;
  plan.tls_key = config.tls.development() ? config::Config::Tls::dev_key(config.data_dir) : config.tls.key;
  // Without [tls], the gateway presents its gateway key's certificate when
  // it has one (gateway.cpp); Dovecot presents the same.
  if (config.tls.development())
    if (auto keys = gateway::GatewayKeys::load(config))
      if (auto own = (*keys)->tls_files()) plan.tls_cert = own->cert, plan.tls_key = own->key;
  if (config.tls.development() && !fs::exists(plan.tls_cert))
    return bad("no TLS certificate yet: " + plan.tls_cert.string() +
               " is made on the gateway's first start (run it once, or set [tls] cert and key)");
  auto ep = parse_imap(imap);
  if (!ep) return std::unexpected(ep.error());
  plan.imap = *ep;
  if (auto r = mail_owner(config, plan); !r) return std::unexpected(r.error());
  for (const auto& p : {plan.out_dir, plan.maildir_root, plan.tls_cert, plan.tls_key, plan.config_file})
    if (!one_line(p)) return bad(p.string() + ": a path with a line break cannot go into dovecot.conf");
  plan.securemail_bin = self_binary();
  return plan;
}

std::string dovecot_conf(const DovecotPlan& p) {
  std::string listen = p.imap.host == "*" ? "*" : p.imap.host.find(':') != std::string::npos
                                                       ? "[" + p.imap.host + "]" : p.imap.host;
  std::string uid = std::to_string(p.mail_uid), gid = std::to_string(p.mail_gid);
  std::string c;
  c += "# dovecot.conf - written by `securemail mailhost init --config " + p.config_file.string() + "`.\n"
       "# IMAP (implicit TLS) for the Maildirs SecureMail delivers into; sign-in\n"
       "# through SecureMail's accounts (password + TOTP code, or a device password).\n"
       "# Start: dovecot -F -c " + p.conf().string() + "\n\n";
  c += "protocols = imap\n";
  c += "listen = " + listen + "\n";
  c += "base_dir = " + (p.out_dir / "run").string() + "\n";
  c += "state_dir = " + (p.out_dir / "state").string() + "\n";
  c += "log_path = " + (p.out_dir / "dovecot.log").string() + "\n";
  c += "instance_name = securemail-imap\n";
  if (p.as_root) {
    c += "default_internal_user = dovecot\ndefault_login_user = dovenull\n";
  } else {  // one unprivileged user runs everything (Dovecot's "rootless" setup)
    c += "default_internal_user = " + p.mail_user + "\ndefault_login_user = " + p.mail_user + "\n";
  }
  c += "first_valid_uid = " + uid + "\nlast_valid_uid = " + uid + "\n";
  c += "first_valid_gid = " + gid + "\nlast_valid_gid = " + gid + "\n\n";

  c += "ssl = required\n";
  c += "ssl_cert = <" + p.tls_cert.string() + "\n";
  c += "ssl_key = <" + p.tls_key.string() + "\n";
  c += "ssl_min_protocol = TLSv1.2\n";
  if (fs::exists("/usr/share/dovecot/dh.pem")) c += "ssl_dh = </usr/share/dovecot/dh.pem\n";
  c += "disable_plaintext_auth = yes\n";
  c += "auth_mechanisms = plain login\n";
  c += "auth_username_format = %Lu\n\n";

  c += "# Maildirs: the gateway delivers to ROOT/<local part>/{tmp,new,cur}; the\n"
       "# checkpassword helper names the account's folder (its primary address).\n";
  c += "mail_location = maildir:" + (p.maildir_root / "%n").string() + "\n";
  c += "passdb {\n  driver = checkpassword\n  args = " + p.helper().string() + "\n}\n";
  c += "userdb {\n  driver = static\n  args = uid=" + uid + " gid=" + gid + "\n}\n\n";

  c += "service imap-login {\n"
       "  inet_listener imap {\n    port = 0\n  }\n"
       "  inet_listener imaps {\n    port = " + std::to_string(p.imap.port) + "\n    ssl = yes\n  }\n";
  if (!p.as_root) c += "  chroot =\n";
  c += "}\n";
  if (p.as_root) {
    c += "# The helper opens DATA/accounts.sqlite, which belongs to the gateway's user.\n";
    c += "service auth {\n  user = " + p.mail_user + "\n}\n";
  } else {
    c += "service anvil {\n  chroot =\n}\n";
  }
  c += "service imap {\n  process_limit = 1024\n}\n";
  return c;
}

std::string helper_script(const DovecotPlan& p) {
  return "#!/bin/sh\n"
         "# checkpassword - Dovecot's passdb for SecureMail accounts (written by\n"
         "# `securemail mailhost init`); $1 is Dovecot's checkpassword-reply.\n"
         "exec " + sh_quote(p.securemail_bin.string()) + " mailhost checkpassword --config " +
         sh_quote(p.config_file.string()) + " -- \"$@\"\n";
}

namespace {

Result<> write_file(const fs::path& path, const std::string& text, mode_t mode) {
  fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) return local_error("cannot write " + tmp.string());
  }
  if (::chmod(tmp.c_str(), mode) != 0) return local_error("cannot chmod " + tmp.string() + ": " + std::strerror(errno));
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return local_error("cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
  return {};
}

}  // namespace

Result<> write_dovecot_files(const DovecotPlan& plan) {
  std::error_code ec;
  for (const auto& d : {plan.out_dir, plan.out_dir / "run", plan.out_dir / "state"}) {
    fs::create_directories(d, ec);
    if (ec) return local_error("cannot create " + d.string() + ": " + ec.message());
    ::chmod(d.c_str(), 0755);  // login and auth processes (other users) reach base_dir
  }
  if (auto r = write_file(plan.helper(), helper_script(plan), 0755); !r) return r;
  return write_file(plan.conf(), dovecot_conf(plan), 0644);
}

}  // namespace sm::app::mailhost
