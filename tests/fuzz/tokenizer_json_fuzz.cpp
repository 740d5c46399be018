// tokenizer.json + tokenizer_config.json (and vocab.txt + tokenizer_config.json) as arbitrary text: loading
// either fails with a kfembed::Error or gives a tokenizer whose encode() works on a fixed sample.
#include <cstdint>
#include <cstdlib>

#include "common/error.h"
#include "fuzz_input.h"
#include "tokenizer/tokenizer.h"

namespace {
void exercise(const kfembed::Tokenizer& tok) {
  for (const char* text : {"", "한국어 문장 임베딩.", "[CLS] a ##b [UNK] \xff"}) {
    for (int32_t id : tok.encode(text, 64))
      if (id < 0 || static_cast<size_t>(id) >= tok.vocab_size()) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = kfembed::fuzz::split(data, size, 2);
  try {
    exercise(kfembed::Tokenizer::from_tokenizer_json(parts[0], parts[1]));
  } catch (const kfembed::Error&) {
  }
  try {
    exercise(kfembed::Tokenizer::from_vocab(parts[0], parts[1]));
  } catch (const kfembed::Error&) {
  }
  return 0;
}
