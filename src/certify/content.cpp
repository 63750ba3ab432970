// content.cpp - test content made from a seed, and its digest (see
// content.h).
#include "certify/content.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

#include "mime/header.h"
#include "mime/multipart.h"
#include "smime/source.h"
#include "util/base64.h"
#include "util/hex.h"
#include "util/text.h"

namespace sm::certify {
namespace {

// No line starts with "From " or "." (mbox and SMTP transparency are the
// transports' business, but a test should not depend on them).
constexpr std::array<std::string_view, 16> kAscii = {
    "The quick brown fox jumps over the lazy dog.",
    "Pack my box with five dozen liquor jugs 0123456789.",
    "Sphinx of black quartz, judge my vow!",
    "How vexingly quick daft zebras jump; {braces} [brackets] <angles>.",
    "Tabs\tand  double  spaces stay as they are.",
    "~!@#$%^&*()_+-=`|\\:;\"',?/",
    "A line of exactly sixty-four characters for the certification..",
    "x",
    "Equals = signs and =3D look like quoted-printable but are not.",
    "--boundary-looking-line-that-is-not-a-boundary",
    "SecureMail certification test content, ASCII kind.",
    "0000000000111111111122222222223333333333444444444455555555556666",
    "Subject: this is body text, not a header field",
    "mixed CASE and MiXeD cAsE",
    "   leading spaces",
    "end of table line 16",
};

constexpr std::array<std::string_view, 16> kUtf8 = {
    "Größe, Maß und Übermut: äöü ÄÖÜ ß",
    "Ελληνικά: γειά σου κόσμε",
    "Русский: съешь же ещё этих мягких французских булок",
    "日本語のテキスト：いろはにほへと",
    "中文：我能吞下玻璃而不伤身体",
    "한국어: 다람쥐 헌 쳇바퀴에 타고파",
    "עברית: דג סקרן שט בים מאוכזב",
    "العربية: نص تجريبي",
    "Emoji: 📧🔐✅ and a zero-width joiner 👩‍💻",
    "Français : « guillemets » et l’apostrophe typographique",
    "Čeština: Příliš žluťoučký kůň úpěl ďábelské ódy",
    "Polski: Zażółć gęślą jaźń",
    "Türkçe: Pijamalı hasta yağız şoföre çabucak güvendi",
    "Ελληνικά και English mixed: αβγ abc",
    "Symbols: € £ ¥ © ® ™ § ¶ † ‡ • … ‰",
    "Combining: e\u0301 a\u0300 o\u0308 (decomposed accents)",
};

constexpr std::string_view kFiller = "filler-0123456789-abcdefghijklmnopqrstuvwxyz-";

// SHA-256(seed || uint64be(counter))
std::array<unsigned char, 32> block(const std::string& seed, std::uint64_t counter) {
  std::string input = seed;
  for (int shift = 56; shift >= 0; shift -= 8) input += static_cast<char>((counter >> shift) & 0xff);
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

// The seed's 16 octets.
std::string seed_octets(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

class Stream {
 public:
  explicit Stream(const std::string& seed) : seed_(seed_octets(seed)) {}
  unsigned char next() {
    if (used_ == 32) buffer_ = block(seed_, counter_++), used_ = 0;
    return buffer_[used_++];
  }

 private:
  std::string seed_;
  std::uint64_t counter_ = 0;
  std::array<unsigned char, 32> buffer_{};
  std::size_t used_ = 32;
};

std::string text_content(const ContentSpec& spec) {
  const auto& table = spec.kind == ContentKind::utf8 ? kUtf8 : kAscii;
  Stream stream(spec.seed);
  std::string out;
  out.reserve(spec.octets);
  std::size_t remaining = spec.octets;
  while (remaining > 0) {
    std::string_view line = table[stream.next() % table.size()];
    std::size_t need = line.size() + 2;
    if (need <= remaining && remaining - need != 1) {
      out.append(line).append("\r\n");
      remaining -= need;
      continue;
    }
    // The end: ASCII filler of exactly what fits, never leaving one octet.
    std::size_t take = need < remaining ? line.size() - 1 : remaining - 2;
    for (std::size_t i = 0; i < take; ++i) out += kFiller[i % kFiller.size()];
    out += "\r\n";
    remaining -= take + 2;
  }
  return out;
}

Error bad_body(std::string what) { return Error{554, "5.6.0", "test content: " + std::move(what)}; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 2045 6.7: soft line breaks, =XX, trailing white space dropped.
Result<std::string> decode_quoted_printable(std::string_view body) {
  std::string text = smime::canonicalize_crlf(body), out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find("\r\n", start);
    bool last = end == std::string::npos;
    std::string_view line = std::string_view(text).substr(start, (last ? text.size() : end) - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    bool soft = !line.empty() && line.back() == '=';
    if (soft) line.remove_suffix(1);
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] != '=') {
        out += line[i];
        continue;
      }
      int hi = i + 2 < line.size() ? hex_value(line[i + 1]) : -1;
      int lo = i + 2 < line.size() ? hex_value(line[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
      return std::unexpected(bad_body("quoted-printable: '=' not followed by two hex digits"));
    }
    if (!soft && !last) out += "\r\n";
    start = last ? text.size() : end + 2;
  }
  return out;
}

}  // namespace

std::string_view to_string(ContentKind kind) {
  switch (kind) {
    case ContentKind::text: return "text";
    case ContentKind::utf8: return "utf8";
    case ContentKind::binary: return "binary";
    case ContentKind::empty: return "empty";
  }
  return "text";
}

std::optional<ContentKind> content_kind(std::string_view name) {
  for (auto k : {ContentKind::text, ContentKind::utf8, ContentKind::binary, ContentKind::empty})
    if (to_string(k) == name) return k;
  return std::nullopt;
}

std::string check_content(const ContentSpec& spec) {
  if (spec.seed.size() != 32) return "seed must be 32 hex digits";
  for (char c : spec.seed)
    if (hex_value(c) < 0) return "seed must be 32 hex digits";
  if (spec.octets > kMaxContentOctets) return "octets over 26214400 (25 MiB)";
  if (spec.kind == ContentKind::empty && spec.octets != 0) return "empty content has 0 octets";
  if ((spec.kind == ContentKind::text || spec.kind == ContentKind::utf8) && spec.octets < 2)
    return "text content has at least 2 octets (one line end)";
  return "";
}

std::string new_seed() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) return std::string(32, '0');
  return to_hex(raw, sizeof raw);
}

std::string generate_content(const ContentSpec& spec) {
  switch (spec.kind) {
    case ContentKind::empty: return "";
    case ContentKind::binary: {
      Stream stream(spec.seed);
      std::string out(spec.octets, '\0');
      for (auto& c : out) c = static_cast<char>(stream.next());
      return out;
    }
    case ContentKind::text:
    case ContentKind::utf8: return text_content(spec);
  }
  return "";
}

ContentEntity content_entity(const ContentSpec& spec) {
  ContentEntity e;
  std::string content = generate_content(spec);
  switch (spec.kind) {
    case ContentKind::binary:
      e.fields = "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                 "Content-Disposition: attachment; filename=\"certification-test.bin\"\r\n";
      e.body = base64_lines(content);
      break;
    case ContentKind::utf8:
      e.fields = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n";
      e.body = std::move(content);
      e.eight_bit = true;
      break;
    case ContentKind::text:
    case ContentKind::empty:
      e.fields = "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n";
      e.body = std::move(content);
      break;
  }
  return e;
}

std::string content_sha256(std::string_view octets) {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(octets.data(), octets.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(md, len);
}

Result<std::string> message_content_digest(std::string_view message) {
  auto header = mime::HeaderBlock::parse(message);
  if (!header) return std::unexpected(header.error());
  std::string type = mime::media_type(header->get("Content-Type").value_or("text/plain"));
  if (type.starts_with("multipart/")) return std::unexpected(bad_body("a multipart body, not one part"));
  std::string_view body = message.substr(std::min(header->body_offset(), message.size()));
  std::string encoding = ascii_lower(header->get("Content-Transfer-Encoding").value_or("7bit"));
  if (encoding == "base64") {
    auto octets = mime::decode_base64_body(body);
    if (!octets) return std::unexpected(octets.error());
    return content_sha256(*octets);
  }
  if (encoding == "quoted-printable") {
    auto octets = decode_quoted_printable(body);
    if (!octets) return std::unexpected(octets.error());
    return content_sha256(*octets);
  }
  if (encoding != "7bit" && encoding != "8bit" && encoding != "binary")
    return std::unexpected(bad_body("unknown Content-Transfer-Encoding " + encoding));
  return content_sha256(smime::canonicalize_crlf(body));
}

}  // namespace sm::certify
