// pdf_encrypt.h - qpdf behind a narrow seam: embed files in a PDF and
// encrypt it (AES-256, R6). Internal to pickup/pdf.cpp.
//
// This header and pdf_encrypt.cpp are C++17 on purpose (CMakeLists.txt
// compiles that one file with -std=c++17): qpdf 11.3's JSON.hh does not
// compile with clang 16 in C++20 or later (a nested class destroys a
// std::vector of the still incomplete JSON, and libstdc++'s constexpr
// ~vector is instantiated at once), and the fuzz and clang-tidy runs build
// sm_pickup with clang. So no std::expected here and no qpdf type outside.
#pragma once

#include <string>
#include <vector>

namespace sm::pickup::detail {

struct EmbeddedFile {
  std::string key;      // the name it is listed under (unique in the PDF)
  std::string type;     // media type
  std::string content;  // its bytes
};

// `pages` with `files` embedded, encrypted: `user_password` opens it,
// `owner_password` is the owner's. False with `error` set when qpdf fails.
bool embed_and_encrypt(const std::string& pages, const std::vector<EmbeddedFile>& files,
                       const std::string& user_password, const std::string& owner_password, std::string& out,
                       std::string& error);

}  // namespace sm::pickup::detail
