// smime_memory_test.cpp - seal(), sign() and open() stream: a 64 MiB
// message is sealed with the peak resident memory (VmHWM) growing by far
// less than the message; open() handles the same message within its old
// (non-streaming) bound, and a 100 MiB message opens with the same verdict
// and the same octets as the original, its peak growing by < 64 MiB.
#include "smime_fixture.h"

#include <openssl/evp.h>

#include <fstream>

using namespace smtest;

namespace {

constexpr std::size_t kMiB = 1u << 20;
constexpr std::size_t kMessageSize = 64 * kMiB;

// Peak resident set size of this process, in octets.
std::size_t peak_rss() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("VmHWM:")) return std::stoul(line.substr(6)) * 1024;
  return 0;
}

// Reset the peak to the current RSS (Linux >= 4.0); false when not allowed.
bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return out.good();
}

// A message of about `size` octets written in pieces (never held whole).
void write_big_message(const fs::path& file, std::size_t size) {
  std::ofstream out(file, std::ios::binary);
  std::string head = sample_message("alice@a.example", "bob@b.example", "big", "");
  out << head;
  std::string line;
  for (int i = 0; i < 76; ++i) line += static_cast<char>('a' + i % 26);
  line += "\r\n";
  for (std::size_t written = head.size(); written < size; written += line.size()) out << line;
}

class Memory : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    write_big_message(dir_->path / "big.eml", kMessageSize);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;

  TestPki& p = TestPki::get();
  const Gateway& a = p.gateway("a.example");
  const Gateway& b = p.gateway("b.example");
};
TempDir* Memory::dir_ = nullptr;

// Run `work` and return how much the peak RSS grew.
template <class F>
std::size_t peak_growth(F&& work) {
  bool reset = reset_peak_rss();
  std::size_t before = reset ? peak_rss() : 0;
  work();
  std::size_t after = peak_rss();
  if (!reset) return after;  // no reset: the whole peak (a conservative upper bound)
  return after > before ? after - before : 0;
}

TEST(MemoryProbe, DetectsAHeldCopyOfTheMessage) {
  // Calibration: the probe must see what a non-streaming seal would cost.
  std::size_t growth = peak_growth([] {
    std::string copy(40 * kMiB, 'x');
    volatile char sink = 0;
    for (std::size_t i = 0; i < copy.size(); i += 4096) sink = sink + copy[i];
  });
  EXPECT_GE(growth, 38 * kMiB);
}

TEST_F(Memory, SealingA64MiBMessageStaysBounded) {
  fs::path out_file = dir_->path / "big.sealed";
  std::size_t growth = peak_growth([&] {
    ossl::BioPtr out(BIO_new_file(out_file.c_str(), "wb"));
    ASSERT_TRUE(out != nullptr);
    auto r = seal(MessageSource::file(dir_->path / "big.eml"), out.get(), a.identity(), {{b.recipient()}});
    ASSERT_TRUE(r.has_value()) << r.error().text;
  });
  EXPECT_LT(growth, 32 * kMiB) << "peak RSS grew by " << growth / kMiB << " MiB";
  EXPECT_GT(fs::file_size(out_file), kMessageSize * 4 / 3);
  RecordProperty("seal_peak_growth_mib", static_cast<int>(growth / kMiB));
  std::printf("seal() of a 64 MiB message: peak RSS grew by %zu MiB\n", growth / kMiB);
}

TEST_F(Memory, SigningA64MiBMessageStaysBounded) {
  fs::path out_file = dir_->path / "big.signed";
  std::size_t growth = peak_growth([&] {
    ossl::BioPtr out(BIO_new_file(out_file.c_str(), "wb"));
    auto r = sign(MessageSource::file(dir_->path / "big.eml"), out.get(), a.identity());
    ASSERT_TRUE(r.has_value()) << r.error().text;
  });
  EXPECT_LT(growth, 32 * kMiB) << "peak RSS grew by " << growth / kMiB << " MiB";
}

TEST_F(Memory, OpeningA64MiBMessageWorksWithinItsBound) {
  fs::path sealed = dir_->path / "big.sealed";
  if (!fs::exists(sealed)) {
    ossl::BioPtr out(BIO_new_file(sealed.c_str(), "wb"));
    ASSERT_TRUE(seal(MessageSource::file(dir_->path / "big.eml"), out.get(), a.identity(), {{b.recipient()}}));
  }
  auto trust = p.trust();
  fs::path opened = dir_->path / "big.opened";
  Verdict verdict;
  std::size_t growth = peak_growth([&] {
    ossl::BioPtr out(BIO_new_file(opened.c_str(), "wb"));
    auto v = open(MessageSource::file(sealed), out.get(), options_for({b.identity()}, trust));
    ASSERT_TRUE(v.has_value());
    verdict = *v;
  });
  EXPECT_EQ(verdict.reason, Reason::none) << verdict.detail;
  EXPECT_EQ(fs::file_size(opened), fs::file_size(dir_->path / "big.eml"));
  // Not streamed (see open.cpp): the CMS structure, then the plaintext,
  // then the signed part are held in memory. Keep it within 4x.
  EXPECT_LT(growth, 4 * kMessageSize) << "peak RSS grew by " << growth / kMiB << " MiB";
  RecordProperty("open_peak_growth_mib", static_cast<int>(growth / kMiB));
  std::printf("open() of a 64 MiB message: peak RSS grew by %zu MiB\n", growth / kMiB);
}

// sha256 of a file, read in pieces.
std::string file_sha256(const fs::path& file) {
  ossl::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::ifstream in(file, std::ios::binary);
  std::vector<char> buf(1 << 16);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
  unsigned char md[32];
  EVP_DigestFinal_ex(ctx.get(), md, nullptr);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

TEST_F(Memory, OpeningA100MiBMessageStreams) {
  fs::path original = dir_->path / "huge.eml";
  fs::path sealed = dir_->path / "huge.sealed";
  write_big_message(original, 100 * kMiB);
  {
    ossl::BioPtr out(BIO_new_file(sealed.c_str(), "wb"));
    ASSERT_TRUE(seal(MessageSource::file(original), out.get(), a.identity(), {{b.recipient()}}));
  }
  auto trust = p.trust();
  fs::path opened = dir_->path / "huge.opened";
  TempDir scratch;
  Verdict verdict;
  std::size_t growth = peak_growth([&] {
    ossl::BioPtr out(BIO_new_file(opened.c_str(), "wb"));
    auto o = options_for({b.identity()}, trust);
    o.scratch_folder = scratch.path;
    auto v = open(MessageSource::file(sealed), out.get(), o);
    ASSERT_TRUE(v.has_value()) << v.error().text;
    verdict = *v;
  });
  EXPECT_EQ(verdict.reason, Reason::none) << verdict.detail;
  EXPECT_TRUE(verdict.released);
  EXPECT_EQ(file_sha256(opened), file_sha256(original));
  EXPECT_TRUE(fs::is_empty(scratch.path));
  EXPECT_LT(growth, 64 * kMiB) << "peak RSS grew by " << growth / kMiB << " MiB";
  RecordProperty("open_100mib_peak_growth_mib", static_cast<int>(growth / kMiB));
  std::printf("open() of a 100 MiB message: peak RSS grew by %zu MiB\n", growth / kMiB);
  fs::remove(original);
  fs::remove(sealed);
  fs::remove(opened);
}

}  // namespace
