// Unicode normalization forms (NFC, NFD, NFKC, NFKD) under Unicode 9.0, which is what Hugging Face tokenizers
// 0.23 runs (unicode-normalization-alignments 0.1.12); characters assigned later are left unchanged.
#pragma once
#include <vector>

namespace kfembed::unicode {

enum class NormalizationForm { kNfc, kNfd, kNfkc, kNfkd };

// Appends the normalization form of [begin, end) to out. Linear in the length: text is normalized in chunks
// that end where the next character starts a boundary, and a chunk of one stable character is copied.
void append_normalized(NormalizationForm form, const char32_t* begin, const char32_t* end,
                       std::vector<char32_t>& out);

}  // namespace kfembed::unicode
