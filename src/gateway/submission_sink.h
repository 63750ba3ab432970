// submission_sink.h - the header of a message from authenticated
// submission, checked and stamped before the relay's processing sees it:
// every From: address must be one the account owns (550 5.7.1 "not yours
// to send as"; the message is then not queued), any
// SecureMail-Sender-Assurance the client wrote is removed, and ours goes
// on top of the header block, so that the sealing that follows signs it
// (auth/assurance.h).
//
// It sits in front of the relay's sink (queue_sink.h): the header is held
// until its empty line (at most mime::HeaderBlock::kDefaultMaxSize octets),
// the rest streams through as it comes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "smtp/server.h"
#include "util/error.h"

namespace sm::gateway {

// Is address (any case) one of `owned` (lower-case, an account's addresses)?
bool owns_address(const std::vector<std::string>& owned, std::string_view address);

// The header block of a submitted message rewritten: our assurance field
// first, the client's assurance fields gone, everything else as written.
// Errors: 550 5.7.1 when the From: field is missing, unreadable or names
// an address not in `owned`; the strict header reader's own refusals.
Result<std::string> stamp_submitted_header(std::string_view header, const std::vector<std::string>& owned,
                                           std::string_view assurance_value);

class SubmissionSink : public smtp::MessageSink {
 public:
  SubmissionSink(std::unique_ptr<smtp::MessageSink> relay, std::vector<std::string> owned,
                 std::string assurance_value, std::string account)
      : relay_(std::move(relay)), owned_(std::move(owned)), assurance_(std::move(assurance_value)),
        account_(std::move(account)) {}

  Result<void> write(std::string_view chunk) override;
  asio::awaitable<Result<std::string>> commit() override;

 private:
  Result<void> pass_header(std::size_t header_end);

  std::unique_ptr<smtp::MessageSink> relay_;
  std::vector<std::string> owned_;
  std::string assurance_;
  std::string account_;
  std::string header_;                // held until its empty line
  bool header_passed_ = false;
  std::optional<Error> refused_;      // repeated at commit; the rest is discarded
};

}  // namespace sm::gateway
