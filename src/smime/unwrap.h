// unwrap.h - the encryption layer alone: an application on our side hands
// the gateway mail already encrypted to the gateway's own certificate
// (issue 18; docs/applications.md), and the gateway takes that layer off
// before policy sees the message. Nothing is verified here: whatever was
// inside (signed or not) is the message from then on, and the caller
// decides who may submit it.
//
// The message that results: when the decrypted entity is a whole message
// (it carries a From: field, header protection in the style of RFC 9788 and
// of SecureMail's own seal), that message; otherwise the outer header
// without its MIME fields, then MIME-Version and the entity (RFC 8551
// 3.1: the entity is the body part that was encrypted).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "smime/engine.h"
#include "util/error.h"

namespace sm::smime {

struct Unwrapped {
  enum class State {
    not_encrypted,  // no application/pkcs7-mime enveloped layer (plain, or signed only)
    not_for_us,     // encrypted, but to someone else (end-to-end S/MIME): left as it is
    opened,         // decrypted with one of our keys
  };
  State state = State::not_encrypted;
  std::string message;     // opened: the message as above, CRLF as it was
  std::string encryption;  // opened: "aes-256-gcm", ...
  std::string key_id;      // opened: the key set that opened it
};

// 554 5.6.0 when the S/MIME layer cannot be read; 554 5.7.5 when a
// RecipientInfo is ours but the content does not decrypt (key unwrap,
// padding or GCM tag); local errors for I/O. Decrypted content goes
// through an anonymous scratch file in scratch_folder (empty: $TMPDIR).
Result<Unwrapped> unwrap_for_us(std::string_view message, const std::vector<Identity>& keys,
                                const std::filesystem::path& scratch_folder = {});

}  // namespace sm::smime
