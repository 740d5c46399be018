// Normalizer flags and added-token behaviour on a small vocabulary (tests/fixtures/tokenizer-small/vocab.txt),
// loaded both from vocab.txt + tokenizer_config.json and from an equivalent tokenizer.json. Expectations are
// derived by hand from HF's algorithm (BertNormalizer: clean -> chinese -> NFD+drop Mn -> lowercase).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace kfembed {
namespace {

using Ids = std::vector<int32_t>;
using nlohmann::json;

std::string small_vocab() {
  std::ifstream in(std::string(KF_FIXTURES_DIR) + "/tokenizer-small/vocab.txt", std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json specials_json() {
  json added = json::array();
  const char* names[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (int i = 0; i < 5; ++i) {
    added.push_back({{"id", i}, {"content", names[i]}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  }
  return added;
}

// The tokenizer.json HF writes for this vocabulary and these BertNormalizer options.
json tokenizer_json(bool lowercase, json strip_accents, bool chinese) {
  json vocab = json::object();
  std::istringstream lines(small_vocab());
  std::string line;
  for (int id = 0; std::getline(lines, line); ++id) vocab[line] = id;
  json single = json::array({{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}},
                             {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                             {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}}});
  return {{"version", "1.0"},
          {"added_tokens", specials_json()},
          {"normalizer",
           {{"type", "BertNormalizer"}, {"clean_text", true}, {"handle_chinese_chars", chinese},
            {"strip_accents", strip_accents}, {"lowercase", lowercase}}},
          {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
          {"post_processor",
           {{"type", "TemplateProcessing"},
            {"single", single},
            {"special_tokens",
             {{"[CLS]", {{"id", "[CLS]"}, {"ids", {2}}, {"tokens", {"[CLS]"}}}},
              {"[SEP]", {{"id", "[SEP]"}, {"ids", {3}}, {"tokens", {"[SEP]"}}}}}}}},
          {"model",
           {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"continuing_subword_prefix", "##"},
            {"max_input_chars_per_word", 100}, {"vocab", vocab}}}};
}

std::string config_json(bool lowercase, json strip_accents, bool chinese) {
  return json{{"do_lower_case", lowercase}, {"strip_accents", strip_accents}, {"tokenize_chinese_chars", chinese},
              {"model_max_length", 512}, {"cls_token", "[CLS]"}, {"sep_token", "[SEP]"}, {"unk_token", "[UNK]"},
              {"pad_token", "[PAD]"}, {"mask_token", "[MASK]"}}
      .dump();
}

// Both loading paths of the same configuration.
std::vector<Tokenizer> both(bool lowercase, json strip_accents, bool chinese = true) {
  std::vector<Tokenizer> out;
  out.push_back(Tokenizer::from_tokenizer_json(tokenizer_json(lowercase, strip_accents, chinese).dump()));
  out.push_back(Tokenizer::from_vocab(small_vocab(), config_json(lowercase, strip_accents, chinese)));
  return out;
}

TEST(TokenizerOptions, LowercaseWithStripAccentsFollowingIt) {
  for (const Tokenizer& t : both(true, nullptr)) {
    EXPECT_EQ(t.encode("Café"), (Ids{2, 5, 3}));                // NFD, drop U+0301, lowercase -> "cafe"
    EXPECT_EQ(t.encode("İ"), (Ids{2, 8, 3}));                   // I + U+0307 -> drop mark -> "i"
    EXPECT_EQ(t.encode("Ά"), (Ids{2, 15, 3}));                  // Greek with tonos -> α
    EXPECT_EQ(t.encode("한"), (Ids{2, 11, 12, 13, 3}));          // Hangul decomposes to conjoining jamo
    EXPECT_EQ(t.encode("HELLO!"), (Ids{2, 25, 24, 3}));
    EXPECT_EQ(t.tokens("Café"), (std::vector<std::string>{"[CLS]", "cafe", "[SEP]"}));
  }
}

TEST(TokenizerOptions, LowercaseWithoutStripAccents) {
  for (const Tokenizer& t : both(true, false)) {
    EXPECT_EQ(t.encode("Café"), (Ids{2, 6, 3}));        // "café"
    EXPECT_EQ(t.encode("İ"), (Ids{2, 8, 10, 3}));       // Rust to_lowercase: "i\u0307" -> i ##\u0307
    EXPECT_EQ(t.encode("Άά"), (Ids{2, 17, 18, 3}));     // ά ##ά
    EXPECT_EQ(t.encode("한"), (Ids{2, 14, 3}));
  }
}

TEST(TokenizerOptions, StripAccentsWithoutLowercase) {
  for (const Tokenizer& t : both(false, true)) {
    EXPECT_EQ(t.encode("Café"), (Ids{2, 1, 3}));        // "Cafe" is not in the vocabulary
    EXPECT_EQ(t.encode("café"), (Ids{2, 5, 3}));
    EXPECT_EQ(t.encode("Ά"), (Ids{2, 19, 3}));          // Α, not lowercased
    EXPECT_EQ(t.encode("한"), (Ids{2, 11, 12, 13, 3}));
  }
}

TEST(TokenizerOptions, NeitherLowercaseNorStrip) {
  for (const Tokenizer& t : both(false, nullptr)) {
    EXPECT_EQ(t.encode("Café"), (Ids{2, 7, 3}));
    EXPECT_EQ(t.encode("café"), (Ids{2, 6, 3}));
    EXPECT_EQ(t.encode("hello"), (Ids{2, 25, 3}));
    EXPECT_EQ(t.encode("HELLO"), (Ids{2, 1, 3}));
  }
}

TEST(TokenizerOptions, ChineseCharacters) {
  for (const Tokenizer& t : both(false, nullptr, true)) EXPECT_EQ(t.encode("中文"), (Ids{2, 20, 21, 3}));
  for (const Tokenizer& t : both(false, nullptr, false)) EXPECT_EQ(t.encode("中文"), (Ids{2, 22, 3}));
}

TEST(TokenizerOptions, VocabTxtWithoutConfigUsesBertDefaults) {
  const Tokenizer t = Tokenizer::from_vocab(small_vocab());
  EXPECT_EQ(t.encode("CAFÉ"), (Ids{2, 5, 3}));  // lowercase + strip accents by default
  EXPECT_EQ(t.encode("[MASK]"), (Ids{2, 4, 3}));
  EXPECT_EQ(t.model_max_length(), 0u);
  EXPECT_EQ(t.vocab_size(), 27u);
}

TEST(TokenizerOptions, VocabTxtLineEndings) {
  const Tokenizer crlf = Tokenizer::from_vocab("[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nab\r\n##c\r\n", "{}");
  EXPECT_EQ(crlf.encode("abc"), (Ids{2, 4, 5, 3}));
  EXPECT_EQ(crlf.token_to_id("ab"), 4);
}

json with_added(json j, json token) {
  j["added_tokens"].push_back(token);
  return j;
}

TEST(TokenizerAddedTokens, SpecialTokensSplitRawText) {
  const Tokenizer t = Tokenizer::from_tokenizer_json(tokenizer_json(true, nullptr, true).dump());
  // Non-normalized: "[mask]" does not match, "[MASK]" does even inside a word.
  EXPECT_EQ(t.encode("hello[MASK]hello"), (Ids{2, 25, 4, 25, 3}));
  EXPECT_EQ(t.encode("[mask]"), (Ids{2, 1, 1, 1, 3}));  // "[", "mask", "]" (punctuation isolated)
  EXPECT_EQ(t.encode("[CLS][SEP]"), (Ids{2, 2, 3, 3}));
}

TEST(TokenizerAddedTokens, SingleWordLstripRstripNormalized) {
  json base = tokenizer_json(true, nullptr, true);
  const json flags = {{"single_word", false}, {"lstrip", false}, {"rstrip", false}, {"special", false}};
  json single = flags;
  single.update({{"id", 27}, {"content", "ab"}, {"single_word", true}, {"normalized", false}});
  json normalized = flags;
  normalized.update({{"id", 28}, {"content", "HELLO"}, {"normalized", true}});
  json stripped = flags;
  stripped.update({{"id", 29}, {"content", "<x>"}, {"lstrip", true}, {"rstrip", true}, {"normalized", false}});
  const Tokenizer t =
      Tokenizer::from_tokenizer_json(with_added(with_added(with_added(base, single), normalized), stripped).dump());
  EXPECT_EQ(t.encode("ab"), (Ids{2, 27, 3}));
  EXPECT_EQ(t.encode("ab!"), (Ids{2, 27, 24, 3}));  // '!' is not \w: still a single word
  EXPECT_EQ(t.encode("xab"), (Ids{2, 1, 3}));       // inside a word: not matched
  EXPECT_EQ(t.encode("HeLLo"), (Ids{2, 28, 3}));    // matched on the normalized text "hello"
  EXPECT_EQ(t.encode("hello <x>  hello"), (Ids{2, 28, 29, 28, 3}));
  EXPECT_EQ(t.tokens("<x>")[1], "<x>");
  EXPECT_EQ(t.vocab_size(), 30u);
}

}  // namespace
}  // namespace kfembed
