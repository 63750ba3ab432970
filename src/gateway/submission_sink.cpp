// submission_sink.cpp - checking From: and Sender: against the account's addresses and
// putting our SecureMail-Sender-Assurance on submitted mail.
#include "gateway/submission_sink.h"

#include <algorithm>

#include "auth/assurance.h"
#include "mime/header.h"
#include "smime/mailbox.h"
#include "util/log.h"
#include "util/text.h"

namespace sm::gateway {
namespace {

// Where the header's empty line ends (the body starts), or npos while it
// has not arrived. A message may start with the empty line (no fields).
std::size_t header_end(std::string_view text) {
  if (text.starts_with("\r\n")) return 2;
  if (text.starts_with("\n")) return 1;
  auto crlf = text.find("\n\r\n");
  auto lf = text.find("\n\n");
  if (crlf == text.npos && lf == text.npos) return text.npos;
  return crlf < lf ? crlf + 3 : lf + 2;
}

}  // namespace

bool owns_address(const std::vector<std::string>& owned, std::string_view address) {
  std::string lower = ascii_lower(address);
  return std::find(owned.begin(), owned.end(), lower) != owned.end();
}

Result<std::string> stamp_submitted_header(std::string_view header, const std::vector<std::string>& owned,
                                           std::string_view assurance_value) {
  auto block = mime::HeaderBlock::parse(header);
  if (!block) return std::unexpected(block.error());
  auto from = block->get("From");
  if (!from) return fail(550, "5.7.1", "the message has no From: field; say who sends it");
  auto addresses = smime::detail::parse_mailbox_list(*from);
  if (!addresses || addresses->empty()) return fail(550, "5.7.1", "the From: field holds no readable address");
  for (const auto& a : *addresses)
    if (!owns_address(owned, a)) return fail(550, "5.7.1", "From: <" + a + ">: not yours to send as");
  // Sender: names who actually sent it (RFC 5322 3.6.2; readers show "on
  // behalf of"): one mailbox, and also the account's own.
  if (auto sender = block->get("Sender")) {
    auto list = smime::detail::parse_mailbox_list(*sender);
    if (!list || list->size() != 1) return fail(550, "5.7.1", "the Sender: field must hold exactly one address");
    if (!owns_address(owned, list->front()))
      return fail(550, "5.7.1", "Sender: <" + list->front() + ">: not yours to send as");
  }
  std::string out = std::string(auth::kAssuranceHeader) + ": " + std::string(assurance_value) + "\r\n";
  for (const auto& field : block->fields())
    if (!mime::iequals(field.name, auth::kAssuranceHeader)) out += field.raw;
  out += header.substr(block->header_size());  // the empty line
  return out;
}

Result<void> SubmissionSink::pass_header(std::size_t end) {
  header_passed_ = true;
  std::string body = header_.substr(end);
  header_.resize(end);
  auto stamped = stamp_submitted_header(header_, owned_, assurance_);
  std::string().swap(header_);
  if (!stamped) {
    log::warn("submission: message from account {} refused: {}", account_, stamped.error().reply());
    refused_ = stamped.error();
    return {};  // answered at commit, after the client has sent it all
  }
  if (auto ok = relay_->write(*stamped); !ok) return ok;
  return body.empty() ? Result<void>{} : relay_->write(body);
}

Result<void> SubmissionSink::write(std::string_view chunk) {
  if (refused_) return {};
  if (header_passed_) return relay_->write(chunk);
  header_.append(chunk);
  if (auto end = header_end(header_); end != std::string::npos) return pass_header(end);
  if (header_.size() > mime::HeaderBlock::kDefaultMaxSize)
    return fail(552, "5.3.4", "message header too large");
  return {};
}

asio::awaitable<Result<std::string>> SubmissionSink::commit() {
  if (!refused_ && !header_passed_) {  // a message that is all header
    if (!header_.empty() && !header_.ends_with("\n")) header_ += "\r\n";
    header_ += "\r\n";
    if (auto ok = pass_header(header_.size()); !ok) co_return std::unexpected(ok.error());
  }
  if (refused_) co_return std::unexpected(*refused_);
  co_return co_await relay_->commit();
}

}  // namespace sm::gateway
