// pdf.cpp - the password-protected PDF of a held message (see pdf.h): the
// pages from pdf_layout.cpp, the attachments embedded and the whole
// encrypted by qpdf. qpdf reports failures by exception; none leaves this
// file (each becomes a 451 Error).
#include "pickup/pdf.h"

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFEFStreamObjectHelper.hh>
#include <qpdf/QPDFEmbeddedFileDocumentHelper.hh>
#include <qpdf/QPDFFileSpecObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>
#include <sodium.h>

#include <array>
#include <set>

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
  std::array<unsigned char, 32> owner_key{};
  randombytes_buf(owner_key.data(), owner_key.size());
  std::string owner(owner_key.size() * 2, '\0');
  sodium_bin2hex(owner.data(), owner.size() + 1, owner_key.data(), owner_key.size());
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    pdf.processMemoryFile("message.pdf", pages.data(), pages.size());
    QPDFEmbeddedFileDocumentHelper files(pdf);
    std::set<std::string> used;
    for (std::size_t i = 0; i < view.attachments.size(); ++i) {
      auto content = attachment_content(message, i);
      if (!content) return local_error("attachment " + std::to_string(i + 1) + " could not be read again");
      auto stream = QPDFEFStreamObjectHelper::createEFStream(pdf, *content);
      stream.setSubtype(view.attachments[i].type);
      const std::string key = unique_name(used, view.attachments[i].name, i);
      files.replaceEmbeddedFile(key, QPDFFileSpecObjectHelper::createFileSpec(pdf, key, stream));
    }
    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    // AES-256, R6 (ISO 32000-2). Opening needs the user password; once
    // open, reading, printing and saving the attachments are allowed.
    writer.setR6EncryptionParameters(password.c_str(), owner.c_str(), true, true, true, true, true, true,
                                     qpdf_r3p_full, true);
    writer.write();
    sodium_memzero(owner.data(), owner.size());
    auto buffer = writer.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
  } catch (const std::exception& e) {
    sodium_memzero(owner.data(), owner.size());
    return local_error(std::string("the PDF could not be encrypted: ") + e.what());
  }
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
