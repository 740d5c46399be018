// Inputs users can produce that are not ordinary text, and configuration errors.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_files.h"
#include "tokenizer/tokenizer.h"

namespace kfembed {
namespace {

using Ids = std::vector<int32_t>;


const std::string kDir = std::string(KF_FIXTURES_DIR) + "/tokenizer/";

const Tokenizer& tok() {
  static const Tokenizer t = Tokenizer::from_directory(kDir);
  return t;
}

TEST(TokenizerRobustness, EmptyAndWhitespace) {
  EXPECT_EQ(tok().encode(""), (Ids{2, 3}));
  EXPECT_EQ(tok().encode(" \t\n\r\x0B\x0C"), (Ids{2, 3}));
  EXPECT_EQ(tok().encode("", 128), (Ids{2, 3}));
}

// Invalid UTF-8 decodes to U+FFFD, which clean_text removes, exactly like the text HF would receive from JS.
TEST(TokenizerRobustness, InvalidUtf8IsReplacedThenRemoved) {
  const Ids ab = tok().encode("ab");
  for (const char* bad : {"\xFF", "\x80", "\xC0\xAF", "\xE0\x80\xAF", "\xF4\x90\x80\x80", "\xED\xA0\x80",
                          "\xED\xBF\xBF", "\xE2\x82", "\xF0\x9F\x98", "\xC3"}) {
    EXPECT_EQ(tok().encode(std::string("a") + bad + "b"), ab) << "bytes: " << bad;
    EXPECT_EQ(tok().encode(bad), (Ids{2, 3}));
  }
  EXPECT_EQ(tok().encode(std::string("\xE2\x82") ), (Ids{2, 3}));  // truncated at the very end
  EXPECT_EQ(tok().encode(std::string("a\0b", 3)), ab);            // NUL removed
  EXPECT_EQ(tok().encode("a\xEF\xBF\xBD" "b"), ab);               // literal U+FFFD removed
  EXPECT_EQ(tok().encode("a\xE2\x80\x8B" "b"), ab);               // U+200B (Cf) removed
  EXPECT_EQ(tok().encode("a\xC2\xAD" "b"), ab);                   // soft hyphen (Cf) removed
  EXPECT_EQ(tok().encode("a\xEE\x80\x80" "b"), ab);               // private use removed
  EXPECT_EQ(tok().encode("a\xCD\xB8" "b"), (Ids{2, 1, 3}));       // unassigned U+0378 kept -> [UNK]
}

TEST(TokenizerRobustness, OneMegabyteInputs) {
  const size_t mb = 1 << 20;
  std::string ascii_no_space(mb, 'a');
  EXPECT_EQ(tok().encode(ascii_no_space), (Ids{2, 1, 3}));  // one word > 100 chars
  std::string korean_no_space;
  while (korean_no_space.size() < mb) korean_no_space += "한국어";
  EXPECT_EQ(tok().encode(korean_no_space), (Ids{2, 1, 3}));

  const Ids word = tok().encode("한국어");
  const Ids piece(word.begin() + 1, word.end() - 1);
  std::string korean_spaced;
  size_t words = 0;
  for (; korean_spaced.size() < mb; ++words) korean_spaced += "한국어 ";
  const Ids all = tok().encode(korean_spaced);
  ASSERT_EQ(all.size(), words * piece.size() + 2);
  for (size_t i = 0; i < words; ++i) {
    ASSERT_TRUE(std::equal(piece.begin(), piece.end(), all.begin() + 1 + i * piece.size()));
  }
  EXPECT_EQ(tok().encode(korean_spaced), all);  // deterministic
  const Ids cut = tok().encode(korean_spaced, 128);
  ASSERT_EQ(cut.size(), 128u);
  EXPECT_EQ(cut.back(), 3);
  EXPECT_TRUE(std::equal(cut.begin(), cut.end() - 1, all.begin()));

  std::string ascii_spaced;
  while (ascii_spaced.size() < mb) ascii_spaced += "x. ";
  const Ids ascii_ids = tok().encode(ascii_spaced);
  EXPECT_EQ(ascii_ids.size(), 2 * (ascii_spaced.size() / 3) + 2);
  EXPECT_EQ(tok().encode(ascii_spaced, 512).size(), 512u);

  std::string garbage(mb, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 2654435761u) >> 13);
  EXPECT_EQ(tok().encode(garbage), tok().encode(garbage));
}

TEST(TokenizerRobustness, ConcurrentEncodeOnOneInstance) {
  const std::string text = "한국어 문장 임베딩을 위한 버트 모델입니다.";
  const Ids want = tok().encode(text);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      int good = 0;
      for (int i = 0; i < 200; ++i) good += tok().encode(text) == want;
      ok[static_cast<size_t>(t)] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int good : ok) EXPECT_EQ(good, 200);
}

TEST(TokenizerRobustness, MovableAndIdLookups) {
  Tokenizer a = Tokenizer::from_directory(kDir);
  Tokenizer b = std::move(a);
  EXPECT_EQ(b.encode("안녕하세요?"), (Ids{2, 14959, 7429, 35, 3}));
  EXPECT_THROW(b.id_to_token(-1), Error);
  EXPECT_THROW(b.id_to_token(20000), Error);
}

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TokenizerConfigErrors, NameTheFileAndField) {
  const std::string good = read_text(kDir + "tokenizer.json");
  EXPECT_NE(error_of([] { Tokenizer::from_tokenizer_json("{not json"); }).find("tokenizer.json: malformed JSON"),
            std::string::npos);
  std::string nfc = good;
  nfc.replace(nfc.find("\"BertNormalizer\""), 16, "\"ByteLevel\"");
  EXPECT_NE(error_of([&] { Tokenizer::from_tokenizer_json(nfc); }).find("normalizer.type 'ByteLevel' is not supported"),
            std::string::npos);
  std::string bpe = good;
  bpe.replace(bpe.find("\"WordPiece\"", bpe.find("\"model\"")), 11, "\"BPE\"");
  EXPECT_NE(error_of([&] { Tokenizer::from_tokenizer_json(bpe); }).find("model.type 'BPE'"), std::string::npos);
  std::string no_vocab = good;
  no_vocab.replace(no_vocab.find("\"vocab\""), 7, "\"vocabulary\"");
  EXPECT_NE(error_of([&] { Tokenizer::from_tokenizer_json(no_vocab); }).find("model.vocab is missing"),
            std::string::npos);
  std::string pre = good;
  pre.replace(pre.find("\"BertPreTokenizer\""), 18, "\"Whitespace\"");
  EXPECT_NE(error_of([&] { Tokenizer::from_tokenizer_json(pre); }).find("pre_tokenizer.type 'Whitespace'"),
            std::string::npos);
  std::string post = good;
  post.replace(post.find("\"TemplateProcessing\""), 20, "\"ByteLevel\"");
  EXPECT_NE(error_of([&] { Tokenizer::from_tokenizer_json(post); }).find("post_processor.type 'ByteLevel'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { Tokenizer::from_tokenizer_json(good, "{oops"); }).find("tokenizer_config.json"),
            std::string::npos);
  EXPECT_NE(error_of([] { Tokenizer::from_vocab("[PAD]\n", "{}"); }).find("vocab.txt: unk token '[UNK]'"),
            std::string::npos);
  EXPECT_NE(error_of([] { Tokenizer::from_vocab("", "{}"); }).find("vocab.txt"), std::string::npos);
  EXPECT_NE(error_of([] { Tokenizer::from_vocab("[UNK]\n", "{\"do_lower_case\": \"yes\"}"); })
                .find("tokenizer_config.json: do_lower_case: must be true or false, got \"yes\""),
            std::string::npos);
  EXPECT_NE(error_of([] { Tokenizer::from_directory("/nonexistent-dir"); }).find("/nonexistent-dir"),
            std::string::npos);
}

}  // namespace
}  // namespace kfembed
