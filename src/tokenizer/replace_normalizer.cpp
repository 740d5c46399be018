#include "tokenizer/replace_normalizer.h"

#include "common/error.h"
#include "text/unicode.h"
#include "text/utf8.h"

namespace kfembed {

namespace {

// A cursor over the pattern's code points; errors name the pattern.
struct PatternReader {
  std::vector<char32_t> cps;
  size_t pos = 0;
  const std::string& what;
  std::string_view source;

  bool done() const { return pos >= cps.size(); }
  char32_t peek() const { return cps[pos]; }
  [[noreturn]] void unsupported(const std::string& why) const {
    fail(what, "regex \"" + std::string(source) + "\" is not supported (" + why + ")");
  }
};

bool is_special(char32_t c) {
  switch (c) {
    case '\\':
    case '[':
    case ']':
    case '(':
    case ')':
    case '{':
    case '}':
    case '|':
    case '*':
    case '+':
    case '?':
    case '.':
    case '^':
    case '$':
      return true;
    default:
      return false;
  }
}

// An escape after '\': a class shorthand (\s) sets white_space; else the escaped character.
bool read_escape(PatternReader& r, char32_t& c, bool& white_space) {
  if (r.done()) r.unsupported("trailing backslash");
  const char32_t e = r.cps[r.pos++];
  white_space = false;
  switch (e) {
    case 's':
      white_space = true;
      return true;
    case 'n':
      c = '\n';
      return true;
    case 'r':
      c = '\r';
      return true;
    case 't':
      c = '\t';
      return true;
    case 'f':
      c = '\f';
      return true;
    case 'v':
      c = '\v';
      return true;
    case '0':
      c = 0;
      return true;
    default:
      if (e < 0x80 && ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))) {
        r.unsupported(std::string("escape \\") + static_cast<char>(e));
      }
      c = e;
      return true;
  }
}

}  // namespace

bool ReplaceNormalizer::CharClass::contains_slow(char32_t c) const {
  bool in = white_space && unicode::is_white_space(c);
  for (const auto& [lo, hi] : ranges) in = in || (c >= lo && c <= hi);
  return in != negated;
}

void ReplaceNormalizer::CharClass::finish() {
  ascii[0] = ascii[1] = 0;
  ascii_ranges_only = !negated;
  for (const auto& range : ranges) ascii_ranges_only = ascii_ranges_only && range.second < 0x80;
  for (char32_t c = 0; c < 0x80; ++c) {
    if (contains_slow(c)) ascii[c >> 6] |= uint64_t{1} << (c & 63);
  }
}

void ReplaceNormalizer::finish() {
  // first_: the union of the alternatives' first characters (a negated class makes it "anything").
  for (Alternative& alt : alternatives_) {
    if (!alt.literal.empty()) {
      first_.ranges.push_back({alt.literal[0], alt.literal[0]});
      continue;
    }
    alt.cls.finish();
    if (alt.cls.negated) {
      first_.ranges.push_back({0, 0x10FFFF});
    } else {
      first_.white_space = first_.white_space || alt.cls.white_space;
      first_.ranges.insert(first_.ranges.end(), alt.cls.ranges.begin(), alt.cls.ranges.end());
    }
  }
  first_.finish();
}

ReplaceNormalizer ReplaceNormalizer::literal(std::string_view pattern, std::string_view content,
                                             const std::string& what) {
  ReplaceNormalizer r;
  Alternative alt;
  alt.literal = decode_utf8(pattern);
  if (alt.literal.empty()) fail(what, "the pattern is empty");
  r.alternatives_.push_back(std::move(alt));
  r.content_ = decode_utf8(content);
  r.finish();
  return r;
}

ReplaceNormalizer ReplaceNormalizer::regex(std::string_view pattern, std::string_view content,
                                           const std::string& what) {
  ReplaceNormalizer result;
  result.content_ = decode_utf8(content);
  PatternReader r{decode_utf8(pattern), 0, what, pattern};
  if (r.cps.empty()) r.unsupported("empty pattern");
  while (true) {
    Alternative alt;
    // Either one class atom (\s, [...], or one character) with an optional quantifier, or a literal string.
    bool have_class = false;
    std::vector<char32_t> literal;
    while (!r.done() && r.peek() != '|') {
      const char32_t c = r.cps[r.pos++];
      if (c == '[') {
        if (have_class || !literal.empty()) r.unsupported("a class must be a whole alternative");
        if (!r.done() && r.peek() == '^') {
          alt.cls.negated = true;
          ++r.pos;
        }
        bool closed = false;
        while (!r.done()) {
          char32_t lo = r.cps[r.pos++];
          if (lo == ']') {
            closed = true;
            break;
          }
          if (lo == '\\') {
            bool ws = false;
            read_escape(r, lo, ws);
            if (ws) {
              alt.cls.white_space = true;
              continue;
            }
          } else if (lo == '[') {
            r.unsupported("nested class");
          }
          char32_t hi = lo;
          if (r.pos + 1 < r.cps.size() && r.peek() == '-' && r.cps[r.pos + 1] != ']') {
            r.pos++;
            hi = r.cps[r.pos++];
            if (hi == '\\') {
              bool ws = false;
              read_escape(r, hi, ws);
              if (ws) r.unsupported("\\s in a range");
            }
            if (hi < lo) r.unsupported("reversed range");
          }
          alt.cls.ranges.push_back({lo, hi});
        }
        if (!closed) r.unsupported("unclosed [");
        have_class = true;
      } else if (c == '{' || c == '*' || c == '+' || c == '?') {
        // A quantifier applies to the single atom before it.
        if (!have_class && literal.size() == 1) {
          alt.cls.ranges.push_back({literal[0], literal[0]});
          literal.clear();
          have_class = true;
        }
        if (!have_class) r.unsupported("a quantifier must follow a single character or class");
        size_t lo = 1, hi = SIZE_MAX;
        if (c == '*') {
          lo = 0;
        } else if (c == '?') {
          lo = 0;
          hi = 1;
        } else if (c == '{') {
          auto number = [&](size_t& v) {
            if (r.done() || r.peek() < '0' || r.peek() > '9') r.unsupported("bad {m,n}");
            v = 0;
            while (!r.done() && r.peek() >= '0' && r.peek() <= '9') v = v * 10 + (r.cps[r.pos++] - '0');
          };
          number(lo);
          hi = lo;
          if (!r.done() && r.peek() == ',') {
            ++r.pos;
            hi = SIZE_MAX;
            if (!r.done() && r.peek() != '}') number(hi);
          }
          if (r.done() || r.cps[r.pos++] != '}') r.unsupported("bad {m,n}");
          if (hi < lo) r.unsupported("bad {m,n}");
        }
        if (lo == 0) r.unsupported("an alternative that can match the empty string");
        alt.min = lo;
        alt.max = hi;
        if (!r.done() && r.peek() != '|') r.unsupported("text after a quantifier");
      } else if (c == '\\') {
        char32_t e = 0;
        bool ws = false;
        read_escape(r, e, ws);
        if (ws) {
          if (have_class || !literal.empty()) r.unsupported("\\s must be a whole alternative");
          alt.cls.white_space = true;
          have_class = true;
        } else {
          if (have_class) r.unsupported("text after a class");
          literal.push_back(e);
        }
      } else if (is_special(c)) {
        r.unsupported(std::string("'") + static_cast<char>(c) + "'");
      } else {
        if (have_class) r.unsupported("text after a class");
        literal.push_back(c);
      }
    }
    if (!have_class && literal.empty()) r.unsupported("empty alternative");
    if (!have_class) alt.literal = std::move(literal);
    result.alternatives_.push_back(std::move(alt));
    if (r.done()) break;
    ++r.pos;  // '|'
  }
  result.finish();
  return result;
}

size_t ReplaceNormalizer::match(const Alternative& alt, const char32_t* text, size_t i, size_t n) {
  if (!alt.literal.empty()) {
    const size_t len = alt.literal.size();
    if (len > n - i) return 0;
    for (size_t k = 0; k < len; ++k) {
      if (text[i + k] != alt.literal[k]) return 0;
    }
    return len;
  }
  size_t len = 0;
  while (len < alt.max && i + len < n && alt.cls.contains(text[i + len])) ++len;
  return len >= alt.min ? len : 0;
}

void ReplaceNormalizer::normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                                  std::vector<char32_t>& /*scratch*/) const {
  const size_t n = static_cast<size_t>(end - begin);
  out.reserve(out.size() + n);
  size_t i = 0;
  while (i < n) {
    size_t len = 0;
    if (!first_.contains(begin[i])) {
      out.push_back(begin[i++]);
      continue;
    }
    for (const Alternative& alt : alternatives_) {  // leftmost-first: the first alternative that matches
      len = match(alt, begin, i, n);
      if (len) break;
    }
    if (len) {
      out.insert(out.end(), content_.begin(), content_.end());
      i += len;
    } else {
      out.push_back(begin[i++]);
    }
  }
}

}  // namespace kfembed
