// NFC / NFD / NFKC / NFKD against the Unicode Consortium's conformance file (Debian unicode-data's
// NormalizationTest.txt), on the lines whose characters were all assigned by Unicode 9.0 (the version HF
// tokenizers normalizes with), plus the version pin itself: a later character is left unchanged.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "test_files.h"
#include "text/normalization.h"

namespace kfembed::unicode {
namespace {

using Form = NormalizationForm;
const std::string kUcd = "/usr/share/unicode/";

std::vector<char32_t> parse_cps(const std::string& field) {
  std::vector<char32_t> out;
  std::istringstream in(field);
  std::string hex;
  while (in >> hex) out.push_back(static_cast<char32_t>(std::stoul(hex, nullptr, 16)));
  return out;
}

std::vector<char32_t> normalized(Form form, const std::vector<char32_t>& text) {
  std::vector<char32_t> out = {0x41};  // appends: what is there stays
  append_normalized(form, text.data(), text.data() + text.size(), out);
  EXPECT_EQ(out[0], 0x41u);
  return std::vector<char32_t>(out.begin() + 1, out.end());
}

TEST(UnicodeNormalization, ConformanceLinesUpToUnicode9) {
  // Characters assigned after 9.0 (DerivedAge.txt).
  std::vector<bool> late(0x110000, true);
  {
    std::istringstream ages(read_text(kUcd + "DerivedAge.txt"));
    std::string line;
    while (std::getline(ages, line)) {
      const size_t hash = line.find('#');
      line = line.substr(0, hash);
      const size_t semi = line.find(';');
      if (semi == std::string::npos) continue;
      const double age = std::stod(line.substr(semi + 1));
      const std::string range = line.substr(0, semi);
      const size_t dots = range.find("..");
      const unsigned long a = std::stoul(range.substr(0, dots), nullptr, 16);
      const unsigned long b = dots == std::string::npos ? a : std::stoul(range.substr(dots + 2), nullptr, 16);
      for (unsigned long c = a; c <= b; ++c) late[c] = age > 9.0;
    }
  }
  FILE* pipe = popen(("bzcat " + kUcd + "NormalizationTest.txt.bz2").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string all;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) all.append(buf, n);
  pclose(pipe);
  std::istringstream lines(all);
  std::string line;
  size_t checked = 0, failures = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#' || line[0] == '@') continue;
    std::vector<std::vector<char32_t>> cols;
    std::istringstream fields(line);
    std::string field;
    for (int k = 0; k < 5 && std::getline(fields, field, ';'); ++k) cols.push_back(parse_cps(field));
    ASSERT_EQ(cols.size(), 5u) << line;
    bool old = true;
    for (const auto& col : cols)
      for (char32_t c : col) old = old && !late[c];
    if (!old) continue;
    ++checked;
    const bool ok =
        normalized(Form::kNfc, cols[0]) == cols[1] && normalized(Form::kNfd, cols[0]) == cols[2] &&
        normalized(Form::kNfkc, cols[0]) == cols[3] && normalized(Form::kNfkd, cols[0]) == cols[4] &&
        normalized(Form::kNfc, cols[2]) == cols[1] && normalized(Form::kNfkc, cols[4]) == cols[3];
    if (!ok && ++failures <= 5) ADD_FAILURE() << "line: " << line;
  }
  EXPECT_GT(checked, 17000u);
  EXPECT_EQ(failures, 0u) << "of " << checked;
}

TEST(UnicodeNormalization, CharactersAfterUnicode9AreLeftAlone) {
  // U+1E030 (modifier letter, 15.0) has a compatibility mapping now, none under 9.0.
  EXPECT_EQ(normalized(Form::kNfkc, {0x1E030}), std::vector<char32_t>{0x1E030});
  // Hangul: composition of conjoining jamo, and syllables copied.
  EXPECT_EQ(normalized(Form::kNfc, {0x1100, 0x1161, 0x11A8, 0xAC00, 0x11A8}),
            (std::vector<char32_t>{0xAC01, 0xAC01}));
  EXPECT_EQ(normalized(Form::kNfd, {0xAC01}), (std::vector<char32_t>{0x1100, 0x1161, 0x11A8}));
  EXPECT_EQ(normalized(Form::kNfkc, {0xFF21, 0x2460, 0x3000}), (std::vector<char32_t>{0x41, 0x31, 0x20}));
}

// A long run of combining marks in alternating classes (hostile input) is ordered like a short one, stably.
TEST(UnicodeNormalization, LongRunsOfCombiningMarks) {
  std::vector<char32_t> text = {'a'};
  for (int k = 0; k < 200000; ++k) {
    text.push_back(0x0301);  // ccc 230
    text.push_back(0x0316);  // ccc 220
  }
  const std::vector<char32_t> nfd = normalized(Form::kNfd, text);
  ASSERT_EQ(nfd.size(), text.size());
  EXPECT_EQ(nfd[0], U'a');
  for (size_t k = 1; k <= 200000; ++k) ASSERT_EQ(nfd[k], 0x0316u) << k;
  for (size_t k = 200001; k < nfd.size(); ++k) ASSERT_EQ(nfd[k], 0x0301u) << k;
  // NFC: the first U+0301 is not blocked by marks of a lower class, so it composes with 'a' (U+00E1).
  const std::vector<char32_t> nfc = normalized(Form::kNfc, text);
  ASSERT_EQ(nfc.size(), text.size() - 1);
  EXPECT_EQ(nfc[0], 0x00E1u);
  EXPECT_EQ(nfc[1], 0x0316u);
  EXPECT_EQ(nfc.back(), 0x0301u);
}

}  // namespace
}  // namespace kfembed::unicode
