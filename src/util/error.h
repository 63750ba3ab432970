// error.h - errors as values that carry their SMTP meaning.
//
// Every layer returns Result<T>; an Error holds the reply code, the RFC 3463
// enhanced status code and a human text, so the layer that finally answers
// a client (or writes a DSN) never has to guess. Never throw across a
// network thread: convert to Error at the boundary.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace sm {

struct Error {
  int code = 451;                 // SMTP reply code (4xx temporary, 5xx permanent)
  std::string enhanced = "4.3.0"; // RFC 3463 class.subject.detail
  std::string text;               // one line, no CR/LF

  bool temporary() const { return code / 100 == 4; }
  bool permanent() const { return code / 100 == 5; }
  // "451 4.3.0 text" as it would be sent (without CRLF).
  std::string reply() const {
    return std::to_string(code) + " " + enhanced + " " + text;
  }
};

template <class T = void>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(int code, std::string enhanced, std::string text) {
  return std::unexpected<Error>(Error{code, std::move(enhanced), std::move(text)});
}
// Local failures that are not about the message: retry later.
inline std::unexpected<Error> local_error(std::string text) {
  return fail(451, "4.3.0", std::move(text));
}

}  // namespace sm
