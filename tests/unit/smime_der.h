// smime_der.h - test helpers for the DER inside a sealed message: split
// it into header and decoded DER, join it back (base64, CRLF lines), and
// list the primitive values (as `openssl asn1parse` does) to tamper with;
// encrypt an arbitrary entity as a sealed message would be.
#pragma once

#include <regex>

#include "smime_fixture.h"

namespace smtest {

// A sealed message split into its header and its DER body.
struct Parts {
  std::string header;  // up to and including the empty line
  std::string der;
};

inline Parts split(const std::string& sealed) {
  Parts p;
  std::size_t end = sealed.find("\r\n\r\n") + 4;
  p.header = sealed.substr(0, end);
  ossl::BioPtr b64(BIO_new(BIO_f_base64()));
  BIO_push(b64.get(), BIO_new_mem_buf(sealed.data() + end, static_cast<int>(sealed.size() - end)));
  char buf[4096];
  int n;
  while ((n = BIO_read(b64.get(), buf, sizeof buf)) > 0) p.der.append(buf, static_cast<std::size_t>(n));
  return p;
}

inline std::string join(const Parts& p) {
  std::string out = p.header;
  for (std::size_t i = 0; i < p.der.size(); i += 48) {
    unsigned char line[80];
    int n = EVP_EncodeBlock(line, reinterpret_cast<const unsigned char*>(p.der.data() + i),
                            static_cast<int>(std::min<std::size_t>(48, p.der.size() - i)));
    out.append(reinterpret_cast<char*>(line), static_cast<std::size_t>(n));
    out += "\r\n";
  }
  return out;
}

struct Primitive {
  std::size_t offset, header_len, len;
  std::string type;
};

// The primitive ASN.1 values in DER/BER, as `openssl asn1parse` lists them.
inline std::vector<Primitive> primitives(const std::string& der) {
  TempDir dir;
  spit(dir.path / "x.der", der);
  std::string listing = run("openssl asn1parse -inform DER -in " + (dir.path / "x.der").string());
  std::vector<Primitive> out;
  std::regex line(R"(\s*(\d+):d=\s*\d+\s+hl=(\d+)\s+l=\s*(\d+)\s+prim:\s+([A-Z ]+[A-Z]))");
  for (std::sregex_iterator it(listing.begin(), listing.end(), line), end; it != end; ++it)
    out.push_back({std::stoul((*it)[1]), std::stoul((*it)[2]), std::stoul((*it)[3]), (*it)[4]});
  return out;
}

// Offsets of every element (primitive or constructed) in DER/BER.
inline std::vector<std::size_t> element_offsets(const std::string& der) {
  TempDir dir;
  spit(dir.path / "x.der", der);
  std::string listing = run("openssl asn1parse -inform DER -in " + (dir.path / "x.der").string());
  std::vector<std::size_t> out;
  std::regex line(R"((?:^|\n)\s*(\d+):d=)");
  for (std::sregex_iterator it(listing.begin(), listing.end(), line), end; it != end; ++it)
    out.push_back(std::stoul((*it)[1]));
  return out;
}

// Encrypt an arbitrary entity (not what seal() would make), with the
// usual visible header.
inline std::string encrypt_entity(const std::string& entity, const X509* recipient, const EVP_CIPHER* cipher) {
  ossl::X509StackPtr certs(sk_X509_new_null());
  sk_X509_push(certs.get(), pki::clone(recipient).release());
  ossl::BioPtr in(BIO_new_mem_buf(entity.data(), static_cast<int>(entity.size())));
  ossl::CmsPtr cms(CMS_encrypt(certs.get(), in.get(), cipher, CMS_BINARY));
  EXPECT_TRUE(cms != nullptr);
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  SMIME_write_CMS(out.get(), cms.get(), nullptr, SMIME_CRLFEOL);
  return kOuterFields + bio_string(out.get());
}

}  // namespace smtest
