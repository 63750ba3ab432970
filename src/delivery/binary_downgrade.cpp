// binary_downgrade.cpp - BinaryDowngrade (see binary_downgrade.h): the
// header's Content-Transfer-Encoding: binary becomes base64, every other
// field is passed on as it was; the body is base64 in lines of 76
// characters (57 octets each), the last one shorter and padded.
#include "delivery/binary_downgrade.h"

#include <openssl/evp.h>

#include "mime/header.h"

namespace sm::delivery {
namespace {

constexpr std::size_t kLineOctets = 57;  // 76 base64 characters
constexpr std::string_view kHeaderEnd = "\r\n\r\n";

std::string_view trimmed(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r' || v.back() == '\n')) v.remove_suffix(1);
  return v;
}

Error not_permitted(std::string_view why) {
  return Error{554, "5.6.3", "Conversion required but not permitted: the message is binary (BODY=BINARYMIME) and " +
                                 std::string(why)};
}

}  // namespace

std::uint64_t BinaryDowngrade::estimated_size(std::uint64_t size) {
  std::uint64_t chars = (size + 2) / 3 * 4;
  std::uint64_t lines = (size + kLineOctets - 1) / kLineOctets;
  return chars + 2 * lines;
}

Result<void> BinaryDowngrade::feed(std::string_view in, std::string& out) {
  if (in_body_) {
    encode(in, out);
    return {};
  }
  std::size_t searched = header_.size() < 3 ? 0 : header_.size() - 3;
  header_.append(in);
  std::size_t end = header_.find(kHeaderEnd, searched);
  if (end == std::string::npos) {
    if (header_.size() > mime::HeaderBlock::kDefaultMaxSize) return std::unexpected(not_permitted("its header is too large"));
    return {};
  }
  std::string body = header_.substr(end + kHeaderEnd.size());
  header_.resize(end + kHeaderEnd.size());
  if (auto r = rewrite_header(out); !r) return r;
  in_body_ = true;
  std::string().swap(header_);
  encode(body, out);
  return {};
}

Result<void> BinaryDowngrade::finish(std::string& out) {
  if (!in_body_) return std::unexpected(not_permitted("its header has no end"));
  if (!carry_.empty()) {
    std::string line(4 * ((carry_.size() + 2) / 3), '\0');
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(line.data()),
                    reinterpret_cast<const unsigned char*>(carry_.data()), static_cast<int>(carry_.size()));
    out += line;
    out += "\r\n";
    carry_.clear();
  }
  return {};
}

// Our sealed form: application/pkcs7-mime with Content-Transfer-Encoding:
// binary. Only that field changes.
Result<void> BinaryDowngrade::rewrite_header(std::string& out) {
  auto block = mime::HeaderBlock::parse(header_);
  if (!block) return std::unexpected(not_permitted("its header is unreadable"));
  auto type = block->get("Content-Type");
  std::string_view t = type ? trimmed(*type) : std::string_view();
  if (!mime::iequals(t.substr(0, t.find(';')), "application/pkcs7-mime"))
    return std::unexpected(not_permitted("it is not a sealed S/MIME message"));
  auto cte = block->get("Content-Transfer-Encoding");
  if (!cte || !mime::iequals(trimmed(*cte), "binary"))
    return std::unexpected(not_permitted("it is not in the sealed binary form"));
  for (const auto& f : block->fields()) {
    if (mime::iequals(f.name, "Content-Transfer-Encoding")) out += "Content-Transfer-Encoding: base64\r\n";
    else out += f.raw;
  }
  out += "\r\n";
  return {};
}

void BinaryDowngrade::encode(std::string_view in, std::string& out) {
  unsigned char line[4 * kLineOctets / 3 + 1];
  auto emit = [&](const char* octets) {
    EVP_EncodeBlock(line, reinterpret_cast<const unsigned char*>(octets), static_cast<int>(kLineOctets));
    out.append(reinterpret_cast<const char*>(line), 4 * kLineOctets / 3);
    out += "\r\n";
  };
  if (!carry_.empty()) {
    std::size_t take = std::min(kLineOctets - carry_.size(), in.size());
    carry_.append(in.substr(0, take));
    in.remove_prefix(take);
    if (carry_.size() < kLineOctets) return;
    emit(carry_.data());
    carry_.clear();
  }
  out.reserve(out.size() + in.size() / kLineOctets * 78 + 80);
  while (in.size() >= kLineOctets) {
    emit(in.data());
    in.remove_prefix(kLineOctets);
  }
  carry_.assign(in);
}

}  // namespace sm::delivery
