// pdf.cpp - the password-protected PDF of a held message (see pdf.h): the
// pages from pdf_layout.cpp, the attachments embedded and the whole
// encrypted by qpdf (pdf_encrypt.cpp); a failure there becomes a 451 Error.
#include "pickup/pdf.h"

#include <sodium.h>

#include <array>
#include <set>

#include "pickup/pdf_encrypt.h"
#include "pickup/pdf_layout.h"

namespace sm::pickup {
namespace {

// 32 characters that are not read one for another: no 0 or O, no 1 or I.
constexpr std::string_view kAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

// The key an attachment is listed under in the PDF: its name, made unique.
std::string unique_name(std::set<std::string>& used, const std::string& name, std::size_t index) {
  std::string key = name;
  if (used.contains(key)) key = std::to_string(index + 1) + "-" + name;
  used.insert(key);
  return key;
}

Result<std::string> embed_and_encrypt(const std::string& pages, std::string_view message, const MessageView& view,
                                      const std::string& password) {
  std::vector<detail::EmbeddedFile> files;
  std::set<std::string> used;
  for (std::size_t i = 0; i < view.attachments.size(); ++i) {
    auto content = attachment_content(message, i);
    if (!content) return local_error("attachment " + std::to_string(i + 1) + " could not be read again");
    files.push_back({unique_name(used, view.attachments[i].name, i), view.attachments[i].type, std::move(*content)});
  }
  std::array<unsigned char, 32> owner_key{};
  randombytes_buf(owner_key.data(), owner_key.size());
  std::string owner(owner_key.size() * 2, '\0');
  sodium_bin2hex(owner.data(), owner.size() + 1, owner_key.data(), owner_key.size());
  std::string out, error;
  const bool made = detail::embed_and_encrypt(pages, files, password, owner, out, error);
  sodium_memzero(owner.data(), owner.size());
  sodium_memzero(owner_key.data(), owner_key.size());
  if (!made) return local_error("the PDF could not be encrypted: " + error);
  return out;
}

}  // namespace

std::string new_pdf_password() {
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i && i % 4 == 0) out += '-';
    out += kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))];
  }
  return out;
}

std::string pdf_file_name(const std::string& ref) { return "secure-message-" + ref + ".pdf"; }

Result<std::string> message_pdf(std::string_view message, const std::string& ref, const std::string& password) {
  auto view = view_message(message);
  if (!view) return std::unexpected(view.error());
  auto pages = layout_pdf(*view, ref);
  if (!pages) return std::unexpected(pages.error());
  return embed_and_encrypt(*pages, message, *view, password);
}

}  // namespace sm::pickup
