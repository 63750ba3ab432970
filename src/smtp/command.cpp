// command.cpp - command line -> Command: verb recognition, argument rules
// per verb, MAIL FROM / RCPT TO path extraction (path syntax in
// address.cpp, ESMTP parameters in params.cpp).
#include "smtp/command.h"

#include <array>
#include <limits>
#include <utility>

#include "smtp/params.h"

namespace sm::smtp {
namespace {

std::optional<Verb> find_verb(std::string_view word) {
  static constexpr std::array<std::pair<std::string_view, Verb>, 13> verbs{{
      {"EHLO", Verb::ehlo}, {"HELO", Verb::helo}, {"MAIL", Verb::mail}, {"RCPT", Verb::rcpt},
      {"DATA", Verb::data}, {"BDAT", Verb::bdat}, {"RSET", Verb::rset}, {"NOOP", Verb::noop}, {"QUIT", Verb::quit},
      {"VRFY", Verb::vrfy}, {"HELP", Verb::help}, {"STARTTLS", Verb::starttls}, {"AUTH", Verb::auth},
  }};
  std::string u = upper(word);
  for (auto& [name, verb] : verbs)
    if (name == u) return verb;
  return std::nullopt;
}

// End of a Path starting at s[0] == '<': index of the closing '>' outside
// any quoted string, or npos.
std::size_t path_end(std::string_view s) {
  bool quoted = false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (quoted && c == '\\') { ++i; continue; }
    if (c == '"') quoted = !quoted;
    else if (c == '>' && !quoted) return i;
  }
  return std::string_view::npos;
}

// "FROM:<path> params" / "TO:<path> params" shared by MAIL and RCPT.
Result<void> parse_path_command(std::string_view arg, Command& cmd) {
  bool mail = cmd.verb == Verb::mail;
  std::string_view prefix = mail ? "FROM:" : "TO:";
  std::string usage = mail ? "Syntax: MAIL FROM:<address> [parameters]" : "Syntax: RCPT TO:<address> [parameters]";
  if (arg.size() < prefix.size() || upper(arg.substr(0, prefix.size())) != prefix)
    return fail(501, "5.5.4", usage);
  arg.remove_prefix(prefix.size());
  if (!arg.empty() && arg[0] == ' ') arg.remove_prefix(1);  // common client quirk, tolerated
  if (arg.empty() || arg[0] != '<') return fail(501, "5.5.4", usage);
  std::size_t end = path_end(arg);
  if (end == arg.npos) return fail(501, "5.5.4", usage);
  std::string_view rest = arg.substr(end + 1);
  if (!rest.empty() && rest[0] != ' ') return fail(501, "5.5.4", usage);
  auto address = parse_path(arg.substr(0, end + 1), mail, !mail, mail ? "5.1.7" : "5.1.3");
  if (!address) return std::unexpected(address.error());
  cmd.address = std::move(*address);
  return mail ? parse_mail_params(rest, cmd) : parse_rcpt_params(rest, cmd);
}

// "chunk-size [SP end-marker]", chunk-size = 1*DIGIT, end-marker = "LAST"
// (RFC 3030 2). A size that does not fit 64 bits is a syntax error: the
// session could not skip that many octets anyway.
Result<void> parse_bdat(std::string_view arg, bool has_arg, Command& cmd) {
  const std::string usage = "Syntax: BDAT chunk-size [LAST]";
  std::size_t space = arg.find(' ');
  std::string_view size = arg.substr(0, space);
  if (!has_arg || size.empty() || size.size() > 20) return fail(501, "5.5.4", usage);
  std::uint64_t n = 0;
  for (char c : size) {
    if (c < '0' || c > '9') return fail(501, "5.5.4", usage);
    auto d = static_cast<std::uint64_t>(c - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return fail(501, "5.5.4", usage);
    n = n * 10 + d;
  }
  cmd.chunk_size = n;
  if (space == arg.npos) return {};
  if (upper(arg.substr(space + 1)) != "LAST") return fail(501, "5.5.4", usage);
  cmd.last_chunk = true;
  return {};
}

// "mechanism [initial-response]" (RFC 4954 4); the response is decoded
// by the session, which knows the mechanism.
Result<void> parse_auth(std::string_view arg, bool has_arg, Command& cmd) {
  const std::string usage = "Syntax: AUTH mechanism [initial-response]";
  std::size_t space = arg.find(' ');
  if (!has_arg || arg.empty() || space == 0) return fail(501, "5.5.4", usage);
  cmd.argument = upper(arg.substr(0, space));
  if (space == arg.npos) return {};
  std::string_view response = arg.substr(space + 1);
  if (response.empty() || response.find(' ') != response.npos) return fail(501, "5.5.4", usage);
  cmd.initial_response = std::string(response);
  return {};
}

Result<void> parse_argument(std::string_view arg, bool has_arg, Command& cmd) {
  switch (cmd.verb) {
    case Verb::ehlo:
    case Verb::helo: {
      bool ok = has_arg && !arg.empty() && arg.find(' ') == arg.npos;
      for (unsigned char c : arg) ok = ok && c > 32 && c < 127;
      if (!ok) return fail(501, "5.5.4", "Syntax: " + std::string(cmd.verb == Verb::ehlo ? "EHLO" : "HELO") + " hostname");
      cmd.argument = std::string(arg);
      return {};
    }
    case Verb::mail:
    case Verb::rcpt:
      return parse_path_command(arg, cmd);
    case Verb::bdat:
      return parse_bdat(arg, has_arg, cmd);
    case Verb::auth:
      return parse_auth(arg, has_arg, cmd);
    case Verb::vrfy:
      if (!has_arg || arg.empty()) return fail(501, "5.5.4", "Syntax: VRFY address");
      cmd.argument = std::string(arg);
      return {};
    case Verb::noop:
    case Verb::help:
      cmd.argument = std::string(arg);
      return {};
    case Verb::data:
    case Verb::rset:
    case Verb::quit:
    case Verb::starttls:
      if (has_arg) return fail(501, "5.5.4", "Syntax error (no parameters allowed)");
      return {};
  }
  return {};
}

}  // namespace

Result<Command> parse_command(std::string_view line) {
  for (unsigned char c : line)
    if (c < 32 || c == 127) return fail(500, "5.5.2", "Syntax error (control character in command)");
  // Tolerate trailing white space, as most servers do.
  while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
  if (line.empty()) return fail(500, "5.5.2", "Syntax error (empty command)");
  std::size_t space = line.find(' ');
  std::string_view word = line.substr(0, space);
  auto verb = find_verb(word);
  if (!verb) {
    for (char c : word) {
      bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (!alpha) return fail(500, "5.5.2", "Syntax error (command unrecognized)");
    }
    return fail(502, "5.5.1", "Command not implemented");
  }
  Command cmd;
  cmd.verb = *verb;
  bool has_arg = space != line.npos;
  std::string_view arg = has_arg ? line.substr(space + 1) : std::string_view();
  if (auto r = parse_argument(arg, has_arg, cmd); !r) return std::unexpected(r.error());
  return cmd;
}

}  // namespace sm::smtp
