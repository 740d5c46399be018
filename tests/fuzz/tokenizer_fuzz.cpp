// Arbitrary bytes (any UTF-8, invalid included) through the WordPiece tokenizer of the test fixture:
// encode() with and without truncation, tokens(), and the ids must be in the vocabulary with [CLS] … [SEP].
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/error.h"
#include "tokenizer/tokenizer.h"

namespace {
const kfembed::Tokenizer& tokenizer() {
  static const kfembed::Tokenizer t = kfembed::Tokenizer::from_directory(KF_FIXTURES_DIR "/tokenizer/");
  return t;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const kfembed::Tokenizer& tok = tokenizer();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto ids = tok.encode(text);
  if (ids.size() < 2) std::abort();
  for (int32_t id : ids)
    if (id < 0 || static_cast<size_t>(id) >= tok.vocab_size()) std::abort();
  const size_t max_length = 2 + (size % 16);
  const auto cut = tok.encode(text, max_length);
  if (cut.size() > max_length || cut.front() != ids.front() || cut.back() != ids.back()) std::abort();
  if (tok.tokens(text, max_length).size() != cut.size()) std::abort();
  return 0;
}
