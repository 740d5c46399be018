// A second, independent oracle: Debian's libsentencepiece (the C++ library Hugging Face's files were
// converted from) on spm.model. Hugging Face equals raw sentencepiece (plus [CLS]/[SEP]) on 13,135 of the
// 13,145 golden rows; on those rows our ids must equal sentencepiece's, and on the other 10 Hugging Face's
// (its own normalization: NFC instead of nmt_nfkc, and whitespace handling). Then random texts of Hangul
// syllables, ASCII and single spaces, where both normalizations agree, exercise the lattice beyond the golden
// set.
#include <gtest/gtest.h>
#include <sentencepiece_processor.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "test_files.h"
#include "text/graphemes.h"
#include "text/utf8.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/tokenizer.h"

namespace kfembed {
namespace {

const std::string kDir = std::string(KF_FIXTURES_DIR) + "/spm/tokenizer/";

struct Fixture {
  Tokenizer ours =
      Tokenizer::from_sentencepiece(read_text(kDir + "spm.model"), read_text(kDir + "tokenizer_config.json"));
  sentencepiece::SentencePieceProcessor spm;
  Fixture() { EXPECT_TRUE(spm.Load(kDir + "spm.model").ok()); }
  std::vector<int32_t> spm_ids(const std::string& text) const {
    std::vector<int> ids;
    EXPECT_TRUE(spm.Encode(text, &ids).ok());
    std::vector<int32_t> out = {1};
    out.insert(out.end(), ids.begin(), ids.end());
    out.push_back(2);
    return out;
  }
};

TEST(SentencePieceOracle, GoldenRowsWhereSentencePieceAgreesWithHuggingFace) {
  Fixture f;
  std::ifstream in(std::string(KF_FIXTURES_DIR) + "/spm/spm-tokenize-dev.jsonl");
  std::string line;
  size_t rows = 0, agree = 0, ours_equal_spm = 0, ours_equal_hf = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    const std::string text = j["text"].get<std::string>();
    const auto hf = j["ids"].get<std::vector<int32_t>>();
    const auto raw = f.spm_ids(text);
    const auto ours = f.ours.encode(text);
    ++rows;
    ours_equal_hf += ours == hf;
    if (raw != hf) continue;
    ++agree;
    ours_equal_spm += ours == raw;
    EXPECT_EQ(ours, raw) << text;
  }
  EXPECT_EQ(rows, 13145u);
  EXPECT_EQ(agree, 13135u);
  EXPECT_EQ(ours_equal_spm, agree);
  EXPECT_EQ(ours_equal_hf, rows);
}

TEST(SentencePieceOracle, RandomHangulAndAsciiTexts) {
  Fixture f;
  // Characters both normalizations leave alone: Hangul syllables, ASCII letters, digits and some punctuation.
  std::vector<char32_t> alphabet;
  for (char32_t c = 0xAC00; c <= 0xD7A3; c += 7) alphabet.push_back(c);
  for (char32_t c = 'a'; c <= 'z'; ++c) alphabet.push_back(c);
  for (char32_t c : std::u32string(U"0123456789.,?!-()")) alphabet.push_back(c);
  const std::u32string common = U"가나다라마바사아자차카타파하는을를이가에서한다있고";
  std::mt19937 rng(11);
  size_t differ = 0;
  for (int t = 0; t < 3000; ++t) {
    std::u32string text;
    const size_t len = 1 + rng() % 60;
    while (text.size() < len) {
      if (!text.empty() && text.back() != ' ' && rng() % 5 == 0) {
        text.push_back(' ');
      } else {
        text.push_back(rng() % 2 ? common[rng() % common.size()] : alphabet[rng() % alphabet.size()]);
      }
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    const std::string utf8 = encode_utf8(std::vector<char32_t>(text.begin(), text.end()));
    if (f.ours.encode(utf8) != f.spm_ids(utf8) && ++differ <= 5) ADD_FAILURE() << utf8;
  }
  EXPECT_EQ(differ, 0u);
}

// transformers 4.x's DebertaV2Converter wrote tokenizer.json files with spm's charsmap: Strip, Precompiled,
// Replace(" {2,}" -> " "), Metaspace, Unigram. Built here from spm.model's own charsmap.
std::string tokenizer_json_with_precompiled_charsmap(const std::string& spm_model_path) {
  nlohmann::json j = nlohmann::json::parse(read_text(kDir + "tokenizer.json"));
  const std::string charsmap =
      SentencePieceModel::parse(read_text(spm_model_path), "spm.model").precompiled_charsmap;
  static const char* k64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (size_t i = 0; i < charsmap.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(charsmap[i]) << 16;
    if (i + 1 < charsmap.size()) v |= static_cast<uint8_t>(charsmap[i + 1]) << 8;
    if (i + 2 < charsmap.size()) v |= static_cast<uint8_t>(charsmap[i + 2]);
    b64 += k64[(v >> 18) & 63];
    b64 += k64[(v >> 12) & 63];
    b64 += i + 1 < charsmap.size() ? k64[(v >> 6) & 63] : '=';
    b64 += i + 2 < charsmap.size() ? k64[v & 63] : '=';
  }
  j["normalizer"] = {{"type", "Sequence"},
                     {"normalizers",
                      {{{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}},
                       {{"type", "Precompiled"}, {"precompiled_charsmap", b64}},
                       {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}}}}};
  return j.dump();
}

// Whether text has an extended grapheme cluster of several characters and 6 or more UTF-8 bytes: the
// Precompiled normalizer looks such a cluster up one character at a time, sentencepiece by longest match.
bool has_long_cluster(const std::string& text) {
  const std::vector<char32_t> cps = decode_utf8(text);
  for (size_t at = 0; at < cps.size();) {
    const size_t stop = unicode::grapheme_end(cps.data(), cps.size(), at);
    if (stop - at > 1 && encode_utf8(cps.data() + at, stop - at).size() >= 6) return true;
    at = stop;
  }
  return false;
}

// The Precompiled normalizer (spm's charsmap, as transformers 4.x converted DeBERTa-v3) against raw
// sentencepiece, which applies the same charsmap its own way: equal on every golden row except those where
// Hugging Face's pipeline differs from sentencepiece anyway (added tokens, ties) and those with a
// multi-character cluster of >= 6 bytes (decomposed Hangul: sentencepiece composes it, spm_precompiled leaves
// it).
TEST(SentencePieceOracle, PrecompiledCharsmapAgainstSentencePiece) {
  Fixture f;
  const Tokenizer ours =
      Tokenizer::from_tokenizer_json(tokenizer_json_with_precompiled_charsmap(kDir + "spm.model"),
                                     read_text(kDir + "tokenizer_config.json"));
  std::ifstream in(std::string(KF_FIXTURES_DIR) + "/spm/spm-tokenize-dev.jsonl");
  std::string line;
  size_t rows = 0, equal = 0, long_cluster = 0, hf_differs = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    const std::string text = j["text"].get<std::string>();
    const auto raw = f.spm_ids(text);
    ++rows;
    if (ours.encode(text) == raw) {
      ++equal;
    } else if (j["ids"].get<std::vector<int32_t>>() != raw) {
      ++hf_differs;
    } else if (has_long_cluster(text)) {
      ++long_cluster;
    } else {
      ADD_FAILURE() << nlohmann::json(text).dump() << "\n ours " << nlohmann::json(ours.encode(text)).dump()
                    << "\n spm  " << nlohmann::json(raw).dump();
    }
  }
  EXPECT_EQ(rows, 13145u);
  EXPECT_GE(equal, 13135u);
  std::printf(
      "Precompiled vs sentencepiece: %zu equal, %zu where HF differs from spm too, %zu long clusters\n",
      equal, hf_differs, long_cluster);
}

}  // namespace
}  // namespace kfembed
