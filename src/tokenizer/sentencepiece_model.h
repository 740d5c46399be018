// A SentencePiece model file (spm.model): the serialized sentencepiece.ModelProto, read with a small protobuf
// wire-format reader. Only the fields a tokenizer needs are kept; the others are skipped.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kfembed {

struct SentencePieceModel {
  enum class PieceType : int32_t {
    kNormal = 1,
    kUnknown = 2,
    kControl = 3,
    kUserDefined = 4,
    kUnused = 5,
    kByte = 6
  };
  struct Piece {
    std::string text;
    float score = 0;
    PieceType type = PieceType::kNormal;
  };
  enum class ModelType : int32_t { kUnigram = 1, kBpe = 2, kWord = 3, kChar = 4 };

  std::vector<Piece> pieces;  // by id
  // TrainerSpec
  ModelType model_type = ModelType::kUnigram;
  int32_t unk_id = 0;
  bool byte_fallback = false;
  // NormalizerSpec
  std::string normalizer_name;
  std::string precompiled_charsmap;
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;

  // Errors name `file` and the byte offset ("spm.model: byte 17: truncated varint").
  static SentencePieceModel parse(std::string_view bytes, const std::string& file);
};

}  // namespace kfembed
