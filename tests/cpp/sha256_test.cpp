// SHA-256 against the FIPS 180-4 / NIST CAVS examples, and incremental updates at every split point.
#include "common/sha256.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using kfembed::Sha256;

std::string hash_of(const std::string& s) { return Sha256::hex(s.data(), s.size()); }

TEST(Sha256, FipsExamples) {
  EXPECT_EQ(hash_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hash_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hash_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                    "mnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, OneMillionAs) {
  Sha256 h;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.update(chunk.data(), chunk.size());
  EXPECT_EQ(h.hexdigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(h.length(), 1000000u);
}

TEST(Sha256, PaddingBoundaries) {
  // Lengths around the 55/56/64-byte padding edges (values from an independent implementation).
  EXPECT_EQ(hash_of(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(hash_of(std::string(56, 'a')), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(hash_of(std::string(64, 'a')), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256, IncrementalEqualsOneShotAtEverySplit) {
  std::vector<uint8_t> data(300);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
  const std::string whole = Sha256::hex(data.data(), data.size());
  for (size_t a = 0; a <= data.size(); a += 7) {
    for (size_t b = a; b <= data.size(); b += 13) {
      Sha256 h;
      h.update(data.data(), a);
      h.update(data.data() + a, b - a);
      h.update(data.data() + b, data.size() - b);
      ASSERT_EQ(h.hexdigest(), whole) << a << " " << b;
    }
  }
}

TEST(Sha256, DigestDoesNotDisturbStateAndResetRestarts) {
  Sha256 h;
  h.update("ab", 2);
  (void)h.hexdigest();
  h.update("c", 1);
  EXPECT_EQ(h.hexdigest(), hash_of("abc"));
  h.reset();
  EXPECT_EQ(h.hexdigest(), hash_of(""));
  EXPECT_EQ(h.length(), 0u);
}

}  // namespace
