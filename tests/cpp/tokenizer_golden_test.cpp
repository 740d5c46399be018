// The golden file holds HF tokenizers' ids and tokens for 13,145 texts (KorSTS + Unicode edge cases).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_files.h"
#include "tokenizer/tokenizer.h"

namespace kfembed {
namespace {


struct GoldenRow {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
};

const std::vector<GoldenRow>& golden_rows() {
  static const std::vector<GoldenRow> rows = [] {
    std::vector<GoldenRow> out;
    std::ifstream in(std::string(KF_FIXTURES_DIR) + "/tokenizer/tokenize-dev.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line);
      out.push_back({j["text"].get<std::string>(), j["ids"].get<std::vector<int32_t>>(),
                     j["tokens"].get<std::vector<std::string>>()});
    }
    return out;
  }();
  return rows;
}

const std::string kDir = std::string(KF_FIXTURES_DIR) + "/tokenizer/";

Tokenizer via_tokenizer_json() {
  return Tokenizer::from_tokenizer_json(read_text(kDir + "tokenizer.json"), read_text(kDir + "tokenizer_config.json"));
}
Tokenizer via_vocab_txt() {
  return Tokenizer::from_vocab(read_text(kDir + "vocab.txt"), read_text(kDir + "tokenizer_config.json"));
}

void expect_all_rows_match(const Tokenizer& tok) {
  const auto& rows = golden_rows();
  ASSERT_EQ(rows.size(), 13145u);
  size_t mismatches = 0;
  std::ostringstream examples;
  for (const GoldenRow& row : rows) {
    const std::vector<int32_t> ids = tok.encode(row.text);
    const std::vector<std::string> tokens = tok.tokens(row.text);
    if (ids == row.ids && tokens == row.tokens) continue;
    if (++mismatches <= 10) {
      examples << "\n  text=" << nlohmann::json(row.text).dump() << "\n    want=" << nlohmann::json(row.tokens).dump()
               << "\n    got =" << nlohmann::json(tokens).dump();
    }
  }
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << rows.size() << " rows differ:" << examples.str();
}

TEST(TokenizerGolden, AllRowsViaTokenizerJson) { expect_all_rows_match(via_tokenizer_json()); }

TEST(TokenizerGolden, AllRowsViaVocabTxtAndConfig) { expect_all_rows_match(via_vocab_txt()); }

// The WASM bindings tokenize every text with one reused workspace and output vector: reuse must not leak state
// from one call into the next (in any order, with and without truncation).
TEST(TokenizerGolden, ReusedWorkspaceGivesTheSameIds) {
  const Tokenizer tok = via_tokenizer_json();
  TokenizerWorkspace ws;
  std::vector<int32_t> ids;
  size_t mismatches = 0;
  const auto& rows = golden_rows();
  for (size_t i = rows.size(); i-- > 0;) {
    tok.encode_into(rows[i].text, 0, ws, ids);
    if (ids != rows[i].ids) ++mismatches;
    tok.encode_into(rows[i].text, 16, ws, ids);
    if (ids != tok.encode(rows[i].text, 16)) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(TokenizerGolden, FromDirectoryUsesTokenizerJson) {
  const Tokenizer tok = Tokenizer::from_directory(kDir);
  EXPECT_EQ(tok.encode("[CLS] [SEP] [MASK] [UNK] [PAD]"), (std::vector<int32_t>{2, 2, 3, 4, 1, 0, 3}));
  EXPECT_EQ(tok.vocab_size(), 20000u);
  EXPECT_EQ(tok.model_max_length(), 512u);
  EXPECT_EQ(tok.cls_id(), 2);
  EXPECT_EQ(tok.sep_id(), 3);
  EXPECT_EQ(tok.pad_id(), 0);
  EXPECT_EQ(tok.unk_id(), 1);
  EXPECT_EQ(tok.token_to_id("[MASK]"), 4);
  EXPECT_EQ(tok.token_to_id("no such token"), -1);
  EXPECT_EQ(tok.id_to_token(2), "[CLS]");
}

std::vector<int32_t> truncated(std::vector<int32_t> ids, size_t max_length) {
  if (ids.size() > max_length) {
    const int32_t sep = ids.back();
    ids.resize(max_length - 1);
    ids.push_back(sep);
  }
  return ids;
}

// sentence-transformers truncates at max_seq_length: [CLS] + first n-2 pieces + [SEP].
TEST(TokenizerGolden, TruncationOfGoldenRowsKeepsSepLast) {
  const Tokenizer a = via_tokenizer_json();
  const Tokenizer b = via_vocab_txt();
  for (const GoldenRow& row : golden_rows()) {
    for (size_t max_length : {size_t{2}, size_t{3}, size_t{16}, size_t{128}, size_t{512}}) {
      const std::vector<int32_t> want = truncated(row.ids, max_length);
      ASSERT_EQ(a.encode(row.text, max_length), want) << row.text << " at " << max_length;
      ASSERT_EQ(b.encode(row.text, max_length), want) << row.text << " at " << max_length;
    }
  }
}

// No golden row exceeds 128 tokens, so long texts are built by joining rows with spaces: whitespace ends every
// word, so the pieces of the joined text are the rows' pieces in order.
TEST(TokenizerGolden, TruncationOfLongTextsAt128And512) {
  const Tokenizer tok = via_tokenizer_json();
  const auto& rows = golden_rows();
  size_t checked = 0;
  for (size_t first = 0; first + 160 <= 6000; first += 160) {
    std::string text;
    std::vector<int32_t> want = {2};
    for (size_t i = first; i < first + 160; ++i) {
      text += rows[i].text + " ";
      want.insert(want.end(), rows[i].ids.begin() + 1, rows[i].ids.end() - 1);
    }
    want.push_back(3);
    ASSERT_EQ(tok.encode(text), want);
    ASSERT_GT(want.size(), 512u);
    EXPECT_EQ(tok.encode(text, 128), truncated(want, 128));
    EXPECT_EQ(tok.encode(text, 512), truncated(want, 512));
    EXPECT_EQ(tok.tokens(text, 128).back(), "[SEP]");
    ++checked;
  }
  EXPECT_EQ(checked, 37u);
}

TEST(TokenizerGolden, MaxLengthBelowTwoIsAnError) {
  const Tokenizer tok = via_tokenizer_json();
  EXPECT_THROW(tok.encode("안녕", 1), Error);
  EXPECT_EQ(tok.encode("안녕하세요?", 2), (std::vector<int32_t>{2, 3}));
}

}  // namespace
}  // namespace kfembed
