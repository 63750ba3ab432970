// pdf_encrypt.cpp - embedding and encryption with qpdf (see
// pdf_encrypt.h; C++17, see there why). qpdf reports failures by
// exception; none leaves this file.
#include "pickup/pdf_encrypt.h"

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFEFStreamObjectHelper.hh>
#include <qpdf/QPDFEmbeddedFileDocumentHelper.hh>
#include <qpdf/QPDFFileSpecObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>

namespace sm::pickup::detail {

bool embed_and_encrypt(const std::string& pages, const std::vector<EmbeddedFile>& files,
                       const std::string& user_password, const std::string& owner_password, std::string& out,
                       std::string& error) {
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    pdf.processMemoryFile("message.pdf", pages.data(), pages.size());
    QPDFEmbeddedFileDocumentHelper embedded(pdf);
    for (const auto& f : files) {
      auto stream = QPDFEFStreamObjectHelper::createEFStream(pdf, f.content);
      stream.setSubtype(f.type);
      embedded.replaceEmbeddedFile(f.key, QPDFFileSpecObjectHelper::createFileSpec(pdf, f.key, stream));
    }
    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    // AES-256, R6 (ISO 32000-2). Opening needs the user password; once
    // open, reading, printing and saving the attachments are allowed.
    writer.setR6EncryptionParameters(user_password.c_str(), owner_password.c_str(), true, true, true, true, true,
                                     true, qpdf_r3p_full, true);
    writer.write();
    auto buffer = writer.getBufferSharedPointer();
    out.assign(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

}  // namespace sm::pickup::detail
