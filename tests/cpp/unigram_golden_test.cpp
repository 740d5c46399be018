// The SentencePiece (Unigram) tokenizer against Hugging Face's ids for 13,145 texts (KorSTS + Unicode edge
// cases), made by tokenizers 0.23.2 / transformers 5.17 from tests/fixtures/spm/tokenizer/.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "test_files.h"
#include "text/unicode.h"
#include "text/utf8.h"
#include "tokenizer/tokenizer.h"

namespace kfembed {
namespace {

struct GoldenRow {
  std::string text;
  std::vector<int32_t> ids;
};

const std::vector<GoldenRow>& golden_rows() {
  static const std::vector<GoldenRow> rows = [] {
    std::vector<GoldenRow> out;
    std::ifstream in(std::string(KF_FIXTURES_DIR) + "/spm/spm-tokenize-dev.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line);
      out.push_back({j["text"].get<std::string>(), j["ids"].get<std::vector<int32_t>>()});
    }
    return out;
  }();
  return rows;
}

const std::string kDir = std::string(KF_FIXTURES_DIR) + "/spm/tokenizer/";

Tokenizer via_tokenizer_json() {
  return Tokenizer::from_tokenizer_json(read_text(kDir + "tokenizer.json"),
                                        read_text(kDir + "tokenizer_config.json"));
}

Tokenizer via_spm_model() {
  return Tokenizer::from_sentencepiece(read_text(kDir + "spm.model"),
                                       read_text(kDir + "tokenizer_config.json"));
}

void expect_all_rows_match(const Tokenizer& tok) {
  const auto& rows = golden_rows();
  ASSERT_EQ(rows.size(), 13145u);
  size_t mismatches = 0;
  std::ostringstream examples;
  TokenizerWorkspace ws;
  std::vector<int32_t> ids;
  for (const GoldenRow& row : rows) {
    tok.encode_into(row.text, 0, ws, ids);
    if (ids == row.ids) continue;
    if (++mismatches <= 10) {
      examples << "\n  text=" << nlohmann::json(row.text).dump()
               << "\n    want=" << nlohmann::json(row.ids).dump()
               << "\n    got =" << nlohmann::json(ids).dump();
    }
  }
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << rows.size() << " rows differ:" << examples.str();
}

TEST(UnigramGolden, AllRowsViaTokenizerJson) {
  expect_all_rows_match(via_tokenizer_json());
}

TEST(UnigramGolden, AllRowsViaSpmModelAndConfig) {
  expect_all_rows_match(via_spm_model());
}

// from_files picks spm.model when the directory has neither tokenizer.json nor vocab.txt.
TEST(UnigramGolden, AllRowsViaFilesWithoutTokenizerJson) {
  const std::string spm = read_text(kDir + "spm.model");
  const std::string config = read_text(kDir + "tokenizer_config.json");
  const Tokenizer tok =
      Tokenizer::from_files([&](const std::string& name) -> std::optional<std::string_view> {
        if (name == "spm.model") return spm;
        if (name == "tokenizer_config.json") return config;
        return std::nullopt;
      });
  expect_all_rows_match(tok);
}

// Both ways build the same vocabulary, special tokens and limits.
TEST(UnigramGolden, SpmModelGivesTheSameVocabulary) {
  const Tokenizer a = via_tokenizer_json();
  const Tokenizer b = via_spm_model();
  ASSERT_EQ(a.vocab_size(), b.vocab_size());
  for (size_t id = 0; id < a.vocab_size(); ++id) {
    ASSERT_EQ(a.id_to_token(static_cast<int32_t>(id)), b.id_to_token(static_cast<int32_t>(id))) << id;
  }
  EXPECT_EQ(a.added_tokens().size(), b.added_tokens().size());
  EXPECT_EQ(b.cls_id(), 1);
  EXPECT_EQ(b.sep_id(), 2);
  EXPECT_EQ(b.pad_id(), 0);
  EXPECT_EQ(b.unk_id(), 3);
  EXPECT_EQ(b.model_max_length(), 512u);
}

// XLM-R-style files split on whitespace before Metaspace: the same ids as Metaspace alone on every row whose
// only whitespace is ' ', \t, \n, \r (Replace turns those into single spaces; other White_Space stays in a
// word there, and is removed by WhitespaceSplit).
TEST(UnigramGolden, WhitespaceSplitBeforeMetaspace) {
  auto j = nlohmann::json::parse(read_text(kDir + "tokenizer.json"));
  j["pre_tokenizer"]["pretokenizers"].insert(j["pre_tokenizer"]["pretokenizers"].begin(),
                                             nlohmann::json{{"type", "WhitespaceSplit"}});
  const Tokenizer tok = Tokenizer::from_tokenizer_json(j.dump(), read_text(kDir + "tokenizer_config.json"));
  size_t compared = 0, differ = 0;
  for (const GoldenRow& row : golden_rows()) {
    bool other_space = false;
    for (char32_t c : decode_utf8(row.text)) {
      other_space =
          other_space || (unicode::is_white_space(c) && c != ' ' && c != '\t' && c != '\n' && c != '\r');
    }
    if (other_space) continue;
    ++compared;
    if (tok.encode(row.text) != row.ids && ++differ <= 5) ADD_FAILURE() << row.text;
  }
  EXPECT_GT(compared, 13100u);
  EXPECT_EQ(differ, 0u);
  // Other whitespace is removed: "a\u3000b" tokenizes as "a b".
  EXPECT_EQ(tok.encode("a\xE3\x80\x80"
                       "b"),
            tok.encode("a b"));
}

TEST(UnigramGolden, TokensAreThePieces) {
  const Tokenizer tok = via_tokenizer_json();
  EXPECT_TRUE(tok.is_unigram());
  EXPECT_EQ(tok.vocab_size(), 8001u);  // 8,000 pieces + [MASK]
  EXPECT_EQ(tok.cls_id(), 1);
  EXPECT_EQ(tok.sep_id(), 2);
  EXPECT_EQ(tok.pad_id(), 0);
  EXPECT_EQ(tok.unk_id(), 3);
  EXPECT_EQ(tok.token_to_id("[MASK]"), 8000);
  EXPECT_EQ(tok.model_max_length(), 512u);
  EXPECT_EQ(tok.tokens("x"), (std::vector<std::string>{"[CLS]", "\xE2\x96\x81", "x", "[SEP]"}));
}

// Truncation keeps [CLS] … [SEP] and a prefix of the pieces.
TEST(UnigramGolden, TruncationKeepsAPrefix) {
  const Tokenizer tok = via_tokenizer_json();
  size_t checked = 0;
  for (const GoldenRow& row : golden_rows()) {
    if (row.ids.size() < 12) continue;
    std::vector<int32_t> want(row.ids.begin(), row.ids.begin() + 9);
    want.push_back(2);
    EXPECT_EQ(tok.encode(row.text, 10), want) << row.text;
    if (++checked == 200) break;
  }
  EXPECT_EQ(checked, 200u);
}

}  // namespace
}  // namespace kfembed
