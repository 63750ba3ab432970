// member_mail.cpp - opening mail to a service address (see member_mail.h).
#include "gateway/member_mail.h"

#include "smime/mailbox.h"

namespace sm::gateway {

std::expected<MemberMail, NotMemberMail> open_member_mail(const config::Config& config, const MemberTrust& trust,
                                                          SealedFailures& failures, const std::string& client,
                                                          const mail::Envelope& env, Received received,
                                                          const ServiceAddress& service) {
  auto refuse = [](Error e, std::string why) { return std::unexpected(NotMemberMail{std::nullopt, std::move(e), std::move(why)}); };
  if (env.recipients.size() != 1)
    return refuse(Error{550, "5.5.3", service.name + " takes messages addressed to it alone"}, "more than one recipient");
  auto text = received.text();
  if (!text) return refuse(text.error(), text.error().text);
  Opener opener(config, trust.keys, trust.directory, *trust.certificates, trust.replays);
  if (service.keep_signed_entity) opener.keep_signed_entities();
  InboundOutcome out = opener.process(env, std::move(*text));
  if (out.sealed_failure)
    return std::unexpected(NotMemberMail{sealed_failure_answer(failures, client, out), out.rejection, out.log});
  if (out.action == InboundOutcome::Action::reject) return refuse(out.rejection, out.log);
  if (out.result != "pass") return refuse(service.not_member_mail, out.log);
  auto dir = trust.directory ? trust.directory() : nullptr;
  auto header = mime::HeaderBlock::parse(out.message);
  if (!header) return refuse(header.error(), header.error().text);
  auto from = header->get("From");
  auto from_list = from ? smime::detail::parse_mailbox_list(*from) : std::nullopt;
  if (!dir || !from_list || from_list->size() != 1) return refuse(service.not_member_mail, "no single From: address");
  std::string from_address = from_list->front();
  const directory::Member* member = dir->lookup_address(from_address);
  if (!member) return refuse(service.not_member_mail, "From: <" + from_address + "> is not a member's address");
  return MemberMail{std::move(out), std::move(*header), std::move(from_address), std::move(dir), member};
}

}  // namespace sm::gateway
