// unwrap.cpp - taking the encryption layer off a message encrypted to us
// (unwrap.h), with open()'s readers: the CMS read without its ciphertext,
// the content key unwrapped with each of our keys, the ciphertext streamed
// through the cipher into a scratch file.
#include "smime/unwrap.h"

#include <openssl/err.h>

#include "mime/header.h"
#include "smime/bio_chain.h"
#include "smime/checks.h"
#include "smime/decrypt.h"
#include "smime/entity_reader.h"
#include "smime/scratch_file.h"
#include "util/text.h"

namespace sm::smime {
namespace {

Result<std::string> read_all(const MessageSource& source) {
  auto in = source.open();
  if (!in) return std::unexpected(in.error());
  std::string out;
  std::vector<char> buf(1u << 16);
  int n;
  while ((n = BIO_read(in->get(), buf.data(), static_cast<int>(buf.size()))) > 0) out.append(buf.data(), static_cast<std::size_t>(n));
  if (n < 0) return local_error("reading the decrypted message back failed");
  return out;
}

// The outer header without MIME-Version and Content-* fields, then ours.
std::string restored(std::string_view message, const mime::HeaderBlock& outer, std::string_view entity) {
  std::string out;
  for (const auto& f : outer.fields()) {
    const std::string name = ascii_lower(f.name);
    if (name == "mime-version" || name.starts_with("content-")) continue;
    out += f.raw;
  }
  const bool crlf = message.find("\r\n") != std::string_view::npos;
  out += crlf ? "MIME-Version: 1.0\r\n" : "MIME-Version: 1.0\n";
  out += entity;
  return out;
}

}  // namespace

Result<Unwrapped> unwrap_for_us(std::string_view message, const std::vector<Identity>& keys,
                                const std::filesystem::path& scratch_folder) {
  auto outer = mime::HeaderBlock::parse(message);
  if (!outer) return std::unexpected(outer.error());
  Unwrapped out;
  if (detail::smime_form(*outer) != detail::SmimeForm::pkcs7_mime) return out;
  auto scratch = detail::ScratchFile::create(scratch_folder);
  if (!scratch) return std::unexpected(scratch.error());
  const MessageSource body = MessageSource::memory(std::string(message)).slice(outer->body_offset(), UINT64_MAX);
  const bool binary = detail::binary_body(*outer);
  Verdict v;
  ERR_clear_error();
  auto read = detail::read_cms_body(body, binary, *scratch, "unreadable S/MIME structure", v);
  if (!read) return std::unexpected(read.error());
  if (!*read) return fail(554, "5.6.0", "the S/MIME layer cannot be read: " + v.detail);
  const int type = OBJ_obj2nid(CMS_get0_type((*read)->cms.get()));
  if (type != NID_pkcs7_enveloped && type != NID_id_smime_ct_authEnvelopedData) return out;  // signed only
  OpenOptions options;
  options.keys = keys;
  v.reason = Reason::none;  // decrypt() notes the first failure
  auto feed = [&](BIO* cipher) { return detail::feed_ciphertext(body, binary, cipher); };
  auto decrypted = detail::decrypt((*read)->cms.get(), options, v, feed, scratch->writer());
  if (!decrypted) return std::unexpected(decrypted.error());
  if (!*decrypted) {
    if (v.reason == Reason::not_for_us) {
      out.state = Unwrapped::State::not_for_us;
      return out;
    }
    return fail(554, "5.7.5", "the message is encrypted to this gateway but cannot be decrypted (" +
                                  std::string(to_string(v.reason)) + ")");
  }
  if (auto f = scratch->flush(); !f) return std::unexpected(f.error());
  auto entity = read_all(scratch->contents(0, scratch->size()));
  if (!entity) return std::unexpected(entity.error());
  auto inner = mime::HeaderBlock::parse(*entity);
  if (!inner) return fail(554, "5.6.0", "the decrypted content is not a MIME entity: " + inner.error().text);
  out.state = Unwrapped::State::opened;
  out.message = inner->has("From") ? std::move(*entity) : restored(message, *outer, *entity);
  out.encryption = v.content_encryption;
  out.key_id = v.decrypted_with;
  return out;
}

}  // namespace sm::smime
