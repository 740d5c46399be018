// The Unigram tokenizer on hostile input (invalid UTF-8, encoded surrogates, NUL and controls, 1 MB strings),
// and its Viterbi against a brute-force one (substring lookups in a map instead of the trie) on long words.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "test_files.h"
#include "text/utf8.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unigram.h"

namespace kfembed {
namespace {

const std::string kDir = std::string(KF_FIXTURES_DIR) + "/spm/tokenizer/";

const Tokenizer& tokenizer() {
  static const Tokenizer tok = Tokenizer::from_tokenizer_json(read_text(kDir + "tokenizer.json"),
                                                              read_text(kDir + "tokenizer_config.json"));
  return tok;
}

// The pieces of tokenizer.json's Unigram model, by id.
std::vector<std::pair<std::string, double>> pieces() {
  const auto j = read_json(kDir + "tokenizer.json");
  std::vector<std::pair<std::string, double>> out;
  for (const auto& p : j["model"]["vocab"]) out.emplace_back(p[0].get<std::string>(), p[1].get<double>());
  return out;
}

// Brute force: every substring up to the longest piece looked up in a map; same scores and tie rules.
std::vector<int32_t> brute_force_viterbi(const std::vector<std::pair<std::string, double>>& vocab,
                                         int32_t unk, const std::u32string& w) {
  std::map<std::u32string, int32_t> ids;
  size_t longest = 0;
  double min_score = 0;
  for (size_t i = 0; i < vocab.size(); ++i) {
    const auto cps = decode_utf8(vocab[i].first);
    ids[std::u32string(cps.begin(), cps.end())] = static_cast<int32_t>(i);
    longest = std::max(longest, cps.size());
    min_score = std::min(min_score, vocab[i].second);
  }
  const size_t n = w.size();
  std::vector<double> score(n + 1, 0);
  std::vector<long> from(n + 1, -1);
  std::vector<int32_t> id(n + 1, -1);
  for (size_t i = 0; i < n; ++i) {
    bool single = false;
    for (size_t len = 1; len <= longest && i + len <= n; ++len) {
      auto it = ids.find(w.substr(i, len));
      if (it == ids.end()) continue;
      const double s = score[i] + vocab[static_cast<size_t>(it->second)].second;
      if (from[i + len] < 0 || s > score[i + len])
        score[i + len] = s, from[i + len] = long(i), id[i + len] = it->second;
      single = single || len == 1;
    }
    if (!single) {
      const double s = score[i] + min_score - 10;
      if (from[i + 1] < 0 || s > score[i + 1]) score[i + 1] = s, from[i + 1] = long(i), id[i + 1] = unk;
    }
  }
  std::vector<int32_t> out;
  for (size_t e = n; e > 0;) {
    const size_t b = static_cast<size_t>(from[e]);
    if (id[e] == unk && !out.empty() && out.back() == unk) {
      // fused with the unknown run after it
    } else {
      out.push_back(id[e]);
    }
    e = b;
  }
  return {out.rbegin(), out.rend()};
}

TEST(UnigramViterbi, MatchesBruteForceOnLongWords) {
  const auto vocab = pieces();
  const Unigram model(vocab, 3, false);
  // Words of characters drawn from the pieces themselves (plus a few unknown ones), 20,000 characters each.
  std::vector<char32_t> alphabet;
  for (const auto& p : vocab)
    for (char32_t c : decode_utf8(p.first)) alphabet.push_back(c);
  alphabet.insert(alphabet.end(), {0x1F98A, 0xE000, 0x2603});
  std::mt19937 rng(7);
  UnigramScratch scratch;
  for (int round = 0; round < 3; ++round) {
    std::u32string word = U"\u2581";
    while (word.size() < 20000) word.push_back(alphabet[rng() % alphabet.size()]);
    std::vector<int32_t> got;
    model.tokenize(word.data(), word.size(), scratch, got);
    EXPECT_EQ(got, brute_force_viterbi(vocab, 3, word)) << "round " << round;
  }
}

TEST(UnigramRobustness, InvalidUtf8BecomesReplacementCharacters) {
  const Tokenizer& tok = tokenizer();
  // Maximal subparts: each becomes one U+FFFD, as TextDecoder does.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a\xFF"
       "b",
       "a\xEF\xBF\xBD"
       "b"},
      {"\xED\xA0\x80x", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx"},  // an encoded surrogate: three subparts
      {"\xF0\x9F\x98", "\xEF\xBF\xBD"},                            // truncated 4-byte sequence
      {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},                    // overlong
  };
  for (const auto& [bad, replaced] : cases) {
    EXPECT_EQ(tok.encode(bad), tok.encode(replaced));
    EXPECT_EQ(tok.encode(bad), tok.encode(bad));
  }
  EXPECT_EQ(tok.encode("\xEF\xBF\xBD"), (std::vector<int32_t>{1, 4, 3, 2}));  // ▁ + [UNK]
}

TEST(UnigramRobustness, NulControlsAndWhitespace) {
  const Tokenizer& tok = tokenizer();
  EXPECT_EQ(tok.encode(std::string("\0", 1)), (std::vector<int32_t>{1, 4, 3, 2}));
  // Adjacent unknown characters fuse into one [UNK].
  EXPECT_EQ(tok.encode(std::string("\0\x01\x02", 3)), (std::vector<int32_t>{1, 4, 3, 2}));
  EXPECT_EQ(tok.encode(""), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(tok.encode(" \t\n\r  \xE3\x80\x80 "), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(tok.encode("a \n\n b"), tok.encode("a b"));
}

TEST(UnigramRobustness, OneMegabyteStrings) {
  const Tokenizer& tok = tokenizer();
  const std::string sentence = "주식 시장에서 한 투자자가 주식을 매수한다. ";
  std::string text;
  while (text.size() < (1u << 20)) text += sentence;
  const std::vector<int32_t> one = tok.encode(sentence);
  const std::vector<int32_t> ids = tok.encode(text);
  const size_t repeats = text.size() / sentence.size();
  ASSERT_EQ(ids.size(), 2 + (one.size() - 2) * repeats);
  for (size_t r = 0; r < repeats; ++r) {
    ASSERT_TRUE(std::equal(one.begin() + 1, one.end() - 1, ids.begin() + 1 + r * (one.size() - 2))) << r;
  }
  // One 1 MB word (no space): a single Viterbi lattice; a reused workspace gives the same ids.
  std::string word;
  while (word.size() < (1u << 20)) word += "투자자가주식을매수";
  TokenizerWorkspace ws;
  std::vector<int32_t> a, b;
  tok.encode_into(word, 0, ws, a);
  tok.encode_into(text, 0, ws, b);
  EXPECT_EQ(b, ids);
  tok.encode_into(word, 0, ws, b);
  EXPECT_EQ(a, b);
  EXPECT_GT(a.size(), word.size() / 30);
  // Truncated: the first pieces of the same lattice.
  const std::vector<int32_t> cut = tok.encode(word, 64);
  ASSERT_EQ(cut.size(), 64u);
  EXPECT_TRUE(std::equal(cut.begin(), cut.end() - 1, a.begin()));
}

TEST(UnigramRobustness, ErrorsNameTheField) {
  auto error_of = [](const std::string& json) {
    try {
      Tokenizer::from_tokenizer_json(json);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const std::string good = read_text(kDir + "tokenizer.json");
  std::string s = good;
  s.replace(s.find("\"unk_id\": 3"), 11, "\"unk_id\": 9000");
  EXPECT_NE(error_of(s).find("model.unk_id 9000 is not a piece id"), std::string::npos) << error_of(s);
  s = good;
  s.replace(s.find("\\\\s{2,}|"), 8, "(\\\\s)+|");
  EXPECT_NE(error_of(s).find("normalizer.normalizers[0].pattern.Regex: regex"), std::string::npos)
      << error_of(s);
  s = good;
  s.replace(s.find("\"always\""), 8, "\"sometimes\"");
  EXPECT_NE(error_of(s).find("prepend_scheme 'sometimes'"), std::string::npos) << error_of(s);
  auto spm_error = [](const std::string& bytes) {
    try {
      Tokenizer::from_sentencepiece(bytes);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(spm_error("").find("spm.model: byte 0: empty file"), std::string::npos) << spm_error("");
  const std::string spm = read_text(kDir + "spm.model");
  EXPECT_NE(spm_error(spm.substr(0, 1000)).find("spm.model: byte"), std::string::npos);
  EXPECT_NE(spm_error("{\"model\": 1}").find("spm.model"), std::string::npos);
}

}  // namespace
}  // namespace kfembed
