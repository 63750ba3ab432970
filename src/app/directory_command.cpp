// directory_command.cpp - the `securemail directory` command line: which
// subcommands and flags exist, and which function in directory_*.cpp each
// one runs (see directory_parts.h). No logic lives here beyond wiring.
//
//   authority:  add | update | suspend | reactivate | remove | list | show | publish | requirements | serve
//               (--authority AUTH)
//   gateway:    lookup | fetch                                                              (--config F | --data DIR)
#include "app/directory_command.h"

#include "app/directory_parts.h"

namespace sm::app {
namespace {

using dir::Args;

void add_authority_option(CLI::App* cmd, Args& a) {
  cmd->add_option("--authority", a.authority, "The authority folder (made by `securemail pki authority init`)")
      ->required()
      ->check(CLI::ExistingDirectory);
}

// The member flags of add and update. add requires the identity ones;
// update changes only what is given.
void add_member_options(CLI::App* cmd, dir::MemberFlags& f, bool adding) {
  auto req = [adding](CLI::Option* o) { return adding ? o->required() : o; };
  cmd->add_option("--id", f.id, "Member id: lower-case letters, digits, '.', '-' (unique)")->required();
  req(cmd->add_option("--org", f.org, "Organisation name"));
  req(cmd->add_option("--domain", f.domains, "A mail domain of the member (repeat; the first is the primary)"));
  cmd->add_flag("--subdomains,!--no-subdomains", f.subdomains, "The domains cover their subdomains too");
  req(cmd->add_option("--endpoint", f.endpoints, "Inbound SMTP of the member's gateway, HOST:PORT (repeat; tried in order)"));
  req(cmd->add_option("--cert", f.certs, "PEM file with the gateway certificate(s) from this authority (repeat)")
          ->check(CLI::ExistingFile));
  cmd->add_option("--capability", f.capabilities,
                  "auth-enveloped, rsa-oaep, ec, signed-receipts, certification-facility (repeat or comma-separate; "
                  "add defaults to auth-enveloped, signed-receipts and the key types of the certificates)")
      ->delimiter(',');
  cmd->add_option("--jurisdiction", f.jurisdiction, "Country code of the member (ISO 3166-1 alpha-2, e.g. NZ)");
  cmd->add_option("--admin", f.admin, "Administrator contact (default securemailadmin@PRIMARY-DOMAIN)");
  cmd->add_option("--tier", f.tier, "member or trusted-partner (default member)");
  cmd->add_option("--max-marking", f.max_marking, "Highest protective marking accredited to receive, e.g. RESTRICTED");
  cmd->add_option("--certified", f.certified, "Last certification: PROFILE:DATE:RESULT, e.g. 1.0:2026-11-01:pass");
  if (adding) return;
  cmd->add_option("--add-cert", f.add_certs, "Add the certificate(s) in this PEM file, keeping the others (rotation)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--remove-cert", f.remove_certs, "Remove the certificate with this SHA-256 fingerprint (or a unique prefix)");
}

// Record which member flags were typed (update changes only those).
void note_given(CLI::App* cmd, dir::MemberFlags& f) {
  f.given.clear();
  for (const CLI::Option* o : cmd->get_options())
    if (o->count() > 0 && o->get_single_name() != "authority") f.given.insert(o->get_single_name());
}

void add_authority_commands(CLI::App* d, std::function<int()>& action, const std::shared_ptr<Args>& a) {
  auto* add = d->add_subcommand("add", "Add a member: organisation, domains, gateway endpoints, certificates");
  add_authority_option(add, *a);
  add_member_options(add, a->member, true);
  add->callback([&action, a, add] {
    note_given(add, a->member);
    action = [a] { return dir::add_member(*a); };
  });

  auto* upd = d->add_subcommand("update", "Change a member: only the flags given change (--add-cert/--remove-cert rotate)");
  add_authority_option(upd, *a);
  add_member_options(upd, a->member, false);
  upd->callback([&action, a, upd] {
    note_given(upd, a->member);
    action = [a] { return dir::update_member(*a); };
  });

  struct ById {
    const char* name;
    const char* help;
    std::function<int(const Args&)> run;
  };
  const ById by_id[] = {
      {"suspend", "Suspend a member: gateways stop sealing to it and no longer trust its signatures",
       [](const Args& x) { return dir::set_member_status(x, directory::Status::suspended); }},
      {"reactivate", "Make a suspended member active again",
       [](const Args& x) { return dir::set_member_status(x, directory::Status::active); }},
      {"remove", "Remove a member from the directory", dir::remove_member},
      {"show", "Show one member", dir::show_member},
  };
  for (const auto& c : by_id) {
    auto* cmd = d->add_subcommand(c.name, c.help);
    add_authority_option(cmd, *a);
    cmd->add_option("ID", a->id, "Member id")->required();
    if (std::string_view(c.name) == "show") cmd->add_flag("--json", a->json, "Machine-readable output");
    cmd->callback([&action, a, run = c.run] { action = [a, run] { return run(*a); }; });
  }

  auto* list = d->add_subcommand("list", "List the members");
  add_authority_option(list, *a);
  list->add_flag("--json", a->json, "Machine-readable output");
  list->callback([&action, a] { action = [a] { return dir::list_members(*a); }; });

  auto* pub = d->add_subcommand("publish", "Sign the member list as the next feed (AUTH/directory/feed.cms); prints serial and path");
  add_authority_option(pub, *a);
  pub->add_option("--passphrase-file", a->passphrase_file,
                  "The authority key's passphrase, first line of this file (default: terminal prompt when encrypted)")
      ->check(CLI::ExistingFile);
  pub->callback([&action, a] { action = [a] { return dir::publish_feed(*a); }; });

  auto* req = d->add_subcommand("requirements",
                                "What every member must meet: the certification profile the next feeds require "
                                "(without --profile: show it)");
  add_authority_option(req, *a);
  req->add_option("--profile", a->requirements.profile, "Requirements profile version, e.g. 0.9 (`securemail certify profiles`)");
  req->add_option("--since", a->requirements.since, "Required from this date, YYYY-MM-DD (default: today)");
  a->requirements.grace_days = 90;
  req->add_option("--grace-days", a->requirements.grace_days, "Days after --since before a member below it is critical")
      ->capture_default_str();
  req->add_flag("--clear", a->clear, "Require nothing (feeds no longer carry requirements)");
  req->callback([&action, a] { action = [a] { return dir::requirements(*a); }; });

  auto* serve = d->add_subcommand("serve", "Serve /feed.cms, /authority.pem and /crl.pem over HTTP until SIGTERM");
  add_authority_option(serve, *a);
  serve->add_option("--listen", a->listen, "HOST:PORT to listen on (port 0: the OS chooses; printed on stdout)")->required();
  serve->callback([&action, a] { action = [a] { return dir::serve_feed(*a); }; });
}

void add_gateway_commands(CLI::App* d, std::function<int()>& action, const std::shared_ptr<Args>& a) {
  auto* look = d->add_subcommand("lookup", "Is this address or domain a member? (gateway's replica; exit 0 member, 1 not)");
  look->add_option("ADDRESS_OR_DOMAIN", a->query, "user@domain or domain")->required();
  add_data_dir_options(look, a->data);
  look->add_flag("--json", a->json, "Machine-readable output");
  look->callback([&action, a] { action = [a] { return dir::lookup(*a); }; });

  auto* fetch = d->add_subcommand("fetch", "Fetch the authority's feed now, verify and apply it; print serial and changes");
  fetch->add_option("-c,--config", a->data.config_file, "The gateway's config file (its [directory] feed and data_dir)")
      ->required();
  fetch->add_flag("--json", a->json, "Machine-readable output");
  fetch->callback([&action, a] { action = [a] { return dir::fetch(*a); }; });
}

std::string subcommand_names(CLI::App* d) {
  std::string names;
  for (const CLI::App* c : d->get_subcommands({})) names += (names.empty() ? "" : ", ") + c->get_name();
  return names;
}

}  // namespace

void add_directory_command(CLI::App& app, std::function<int()>& action) {
  auto a = std::make_shared<Args>();
  CLI::App* d = app.add_subcommand("directory", "The member directory: the authority's list and signed feed; lookups on a gateway");
  // At most one subcommand, checked by hand: CLI11's require_subcommand(1)
  // would answer "directory frobnicate" without naming "frobnicate".
  d->require_subcommand(0, 1);
  add_authority_commands(d, action, a);
  add_gateway_commands(d, action, a);
  d->callback([d] {
    if (d->get_subcommands().empty()) throw CLI::RequiredError("A subcommand (" + subcommand_names(d) + ")");
  });
}

}  // namespace sm::app
