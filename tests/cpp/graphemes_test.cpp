// Extended grapheme clusters against the Unicode Consortium's GraphemeBreakTest.txt (Debian
// unicode-data, 15.0).
#include "text/graphemes.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "test_files.h"

namespace kfembed::unicode {
namespace {

TEST(Graphemes, ConformanceFile) {
  std::istringstream lines(read_text("/usr/share/unicode/auxiliary/GraphemeBreakTest.txt"));
  std::string line;
  size_t checked = 0, failures = 0;
  while (std::getline(lines, line)) {
    line = line.substr(0, line.find('#'));
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream tokens(line);
    std::string t;
    std::vector<char32_t> text;
    std::vector<size_t> want;  // boundaries after position 0
    while (tokens >> t) {
      if (t == "\xC3\xB7") {  // ÷
        if (!text.empty()) want.push_back(text.size());
      } else if (t != "\xC3\x97") {  // ×
        text.push_back(static_cast<char32_t>(std::stoul(t, nullptr, 16)));
      }
    }
    std::vector<size_t> got;
    for (size_t at = 0; at < text.size();) got.push_back(at = grapheme_end(text.data(), text.size(), at));
    ++checked;
    if (got != want && ++failures <= 5) ADD_FAILURE() << line;
  }
  EXPECT_GE(checked, 600u);  // 602 lines in Unicode 15.0
  EXPECT_EQ(failures, 0u) << "of " << checked;
}

}  // namespace
}  // namespace kfembed::unicode
