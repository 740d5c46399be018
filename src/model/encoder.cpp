#include "model/encoder.h"

#include "model/bert.h"
#include "model/deberta_v2.h"

namespace kfembed {

std::unique_ptr<Encoder> Encoder::load(const EncoderConfig& config, const WeightSource& weights,
                                       size_t max_seq_length) {
  switch (config.architecture) {
    case Architecture::kBert:
    case Architecture::kRoberta:
      return std::make_unique<BertEncoder>(BertEncoder::load(config, weights, max_seq_length));
    case Architecture::kDebertaV2:
      break;
  }
  return std::make_unique<DebertaV2Encoder>(DebertaV2Encoder::load(config, weights, max_seq_length));
}

}  // namespace kfembed
