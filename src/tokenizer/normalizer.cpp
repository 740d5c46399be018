#include "tokenizer/normalizer.h"

#include "text/unicode.h"

namespace kfembed {

void StripNormalizer::normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                                std::vector<char32_t>& /*scratch*/) const {
  if (left) {
    while (begin != end && unicode::is_white_space(*begin)) ++begin;
  }
  if (right) {
    while (end != begin && unicode::is_white_space(end[-1])) --end;
  }
  out.insert(out.end(), begin, end);
}

void UnicodeNormalizer::normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                                  std::vector<char32_t>& /*scratch*/) const {
  unicode::append_normalized(form, begin, end, out);
}

void LowercaseNormalizer::normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                                    std::vector<char32_t>& /*scratch*/) const {
  out.reserve(out.size() + static_cast<size_t>(end - begin));
  for (const char32_t* p = begin; p != end; ++p) unicode::append_lowercase(*p, out);
}

void Normalizer::normalize(const char32_t* begin, const char32_t* end, std::vector<char32_t>& out,
                           NormalizerScratch& scratch) const {
  if (steps_.empty()) {
    out.insert(out.end(), begin, end);
    return;
  }
  // Steps ping-pong between scratch.a and scratch.b; the last one appends to out.
  std::vector<char32_t>* src = nullptr;
  for (size_t i = 0; i < steps_.size(); ++i) {
    const bool last = i + 1 == steps_.size();
    std::vector<char32_t>& dst = last ? out : (src == &scratch.a ? scratch.b : scratch.a);
    if (!last) dst.clear();
    const char32_t* b = src ? src->data() : begin;
    const char32_t* e = src ? src->data() + src->size() : end;
    std::visit([&](const auto& step) { step.normalize(b, e, dst, scratch.step); }, steps_[i]);
    src = &dst;
  }
}

}  // namespace kfembed
