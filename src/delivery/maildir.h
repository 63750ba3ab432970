// maildir.h - local delivery into Maildir folders (the format of
// https://cr.yp.to/proto/maildir.html, as Dovecot and Postfix local(8)
// write it): one file per message, written in tmp/, fsync'ed, renamed
// into new/.
#pragma once

#include <filesystem>
#include <string>

#include "delivery/transport.h"
#include "mail/envelope.h"
#include "util/error.h"

namespace sm::delivery {

// Deliver one copy for `recipient` ("local@domain") into
// root/<local part, lower-cased>/new, creating {tmp,new,cur} (mode 0700) as
// needed. The file (mode 0600) starts with "Return-Path: <sender>" and
// "Delivered-To: <recipient>" and has LF line ends. Errors: bad local part
// (empty, leading '.', '/', NUL or control characters) 550 5.1.1; disk
// full or quota 452 4.3.1; other I/O 451 4.3.0.
Result<void> deliver_maildir(const std::filesystem::path& root, const std::string& recipient,
                             const mail::Envelope& env, const StoredMessage& msg);

// The folder name deliver_maildir uses for `recipient`, or the 550 error.
Result<std::string> maildir_folder_name(const std::string& recipient);

}  // namespace sm::delivery
