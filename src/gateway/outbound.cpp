// outbound.cpp - planning recipients, and sealing one copy per member gateway.
#include "gateway/outbound.h"

#include <algorithm>

#include "gateway/envelope_binding.h"
#include "mime/header.h"
#include "pki/certificate.h"
#include "smime/bio_chain.h"
#include "smime/engine.h"
#include "smime/mailbox.h"

namespace sm::gateway {
namespace {

// Members reached through the same gateway (the same endpoints and
// certificates) share a sealed copy.
std::string gateway_key(const directory::Member& m) {
  std::vector<std::string> endpoints = m.endpoints, certs = m.certificates;
  std::sort(endpoints.begin(), endpoints.end());
  std::sort(certs.begin(), certs.end());
  std::string key;
  for (const auto& e : endpoints) key += e + "\n";
  key += "--\n";
  for (const auto& c : certs) key += c;
  return key;
}

}  // namespace

bool same_gateway(const directory::Member& a, const directory::Member& b) {
  return a.id == b.id || gateway_key(a) == gateway_key(b);
}

void add_sealed(OutboundPlan& plan, const directory::Member& m, std::size_t recipient) {
  auto g = std::find_if(plan.sealed.begin(), plan.sealed.end(),
                        [&](const OutboundPlan::Sealed& s) { return same_gateway(*s.member, m); });
  if (g == plan.sealed.end()) g = plan.sealed.insert(plan.sealed.end(), {&m, {}, {}});
  if (std::find(g->member_ids.begin(), g->member_ids.end(), m.id) == g->member_ids.end()) g->member_ids.push_back(m.id);
  g->recipients.push_back(recipient);
}

OutboundPlan plan_outbound(const config::Config& config, std::shared_ptr<const directory::Directory> directory,
                           const mail::Envelope& env) {
  OutboundPlan plan;
  plan.directory = std::move(directory);
  for (std::size_t i = 0; i < env.recipients.size(); ++i) {
    const std::string domain = mail::domain_of(env.recipients[i].address);
    const directory::Member* m =
        config.receives_for(domain) || !plan.directory ? nullptr : plan.directory->lookup_domain(domain);
    if (m && m->status == directory::Status::suspended) plan.suspended.push_back(i);
    else if (!m) plan.plain.push_back(i);
    else add_sealed(plan, *m, i);
  }
  return plan;
}

Result<void> check_member_recipient(const directory::Directory* directory, const std::string& recipient) {
  if (!directory) return {};
  const directory::Member* m = directory->lookup_address(recipient);
  if (m && m->status == directory::Status::suspended)
    return fail(550, "5.7.1", "<" + recipient + ">: the recipient's organisation (" + m->id +
                                  ") is suspended from the SecureMail directory; mail to it is not sent");
  return {};
}

Result<std::string> single_from_address(std::string_view message) {
  auto block = mime::HeaderBlock::parse(message);
  if (!block) return std::unexpected(block.error());
  auto from = block->get("From");
  if (!from) return fail(550, "5.7.1", "the message has no From: field; sealed mail needs exactly one sender address");
  auto list = smime::detail::parse_mailbox_list(*from);
  if (!list || list->size() != 1)
    return fail(550, "5.7.1", "the From: field must hold exactly one address for sealed mail");
  return list->front();
}

Result<Sealer::Sealed> Sealer::seal(const OutboundPlan::Sealed& group, const mail::Envelope& env, const std::string& message,
                                    const Extras& extras) {
  auto from = single_from_address(message);
  if (!from) return std::unexpected(from.error());
  std::string from_domain = mail::domain_of(*from);
  const pki::KeySet* key = keys_->signer_for(from_domain);
  if (!key)
    return fail(550, "5.7.1", "this gateway holds no key for the From: domain " + from_domain +
                                  ", so mail to member " + group.member->id + " cannot be sealed");
  if (!env.sender.empty() && !pki::certificate_names_domain(key->cert.get(), mail::domain_of(env.sender)))
    return fail(550, "5.7.1", "the envelope sender <" + env.sender + "> is not of a domain the signing key (" + from_domain +
                                  ") covers; the member would refuse it");
  auto certs = certs_.of(*group.member);
  if (!certs) return std::unexpected(certs.error());

  smime::SealOptions options;
  options.cipher = group.member->has(directory::kCapAuthEnveloped) ? smime::Cipher::aes256_gcm : smime::Cipher::aes256_cbc;
  // Stored as DER: sent with BODY=BINARYMIME over BDAT to a gateway that
  // offers it, converted to base64 on the way to any other next hop
  // (delivery/binary_downgrade.h). The envelope says so (body_binary).
  options.binary = true;
  options.sign.receipt_request = extras.receipt_request;
  options.sign.record = extras.record;
  ossl::BioPtr signed_copy;
  if (extras.signed_entity) {
    signed_copy.reset(BIO_new(BIO_s_mem()));
    if (!signed_copy) return local_error("out of memory");
    options.signed_copy = signed_copy.get();
  }
  std::vector<smime::Recipient> recipients;
  for (const auto& c : *certs) recipients.push_back({c.cert, group.member->has(directory::kCapRsaOaep)});

  std::string input = format_binding(bind_envelope(env, group.recipients)) + message;
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  if (!out) return local_error("out of memory");
  auto sealed = smime::seal(smime::MessageSource::memory(std::move(input)), out.get(), keys_->identity(*key), recipients, options);
  if (!sealed) return std::unexpected(sealed.error());
  if (extras.signed_entity) *extras.signed_entity = smime::detail::mem_view(signed_copy.get());
  Sealed result;
  result.message = smime::detail::mem_view(out.get());
  result.summary = "signed by " + key->id + " (" + from_domain + "), encrypted " +
                   std::string(smime::to_string(options.cipher)) + " to " + std::to_string(recipients.size()) +
                   " certificate(s) of the member";
  return result;
}

}  // namespace sm::gateway
