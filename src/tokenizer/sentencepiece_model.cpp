#include "tokenizer/sentencepiece_model.h"

#include <cstring>

#include "common/error.h"

namespace kfembed {

namespace {

// Protobuf wire format over [begin, end) of the file; offsets in errors are from the start of the file.
class WireReader {
 public:
  WireReader(std::string_view file_bytes, size_t begin, size_t end, const std::string& file)
      : bytes_(file_bytes), pos_(begin), end_(end), file_(file) {}

  bool done() const { return pos_ >= end_; }
  size_t pos() const { return pos_; }

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= end_) bad("truncated varint");
      const auto b = static_cast<uint8_t>(bytes_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) return v;
    }
    bad("varint longer than 10 bytes");
  }
  // Field number and wire type of the next field.
  std::pair<uint32_t, uint32_t> tag() {
    const uint64_t t = varint();
    if ((t >> 3) == 0 || (t >> 3) > 0x1FFFFFFF) bad("invalid field number");
    return {static_cast<uint32_t>(t >> 3), static_cast<uint32_t>(t & 7)};
  }
  // A length-delimited field: [begin, end) in the file.
  std::pair<size_t, size_t> length_delimited() {
    const uint64_t n = varint();
    if (n > end_ - pos_) bad("length " + std::to_string(n) + " runs past the end of its message");
    const size_t begin = pos_;
    pos_ += static_cast<size_t>(n);
    return {begin, pos_};
  }
  float fixed32_float() {
    if (end_ - pos_ < 4) bad("truncated fixed32");
    uint32_t bits = 0;
    for (int k = 3; k >= 0; --k)
      bits = (bits << 8) | static_cast<uint8_t>(bytes_[pos_ + static_cast<size_t>(k)]);
    pos_ += 4;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  void skip(uint32_t wire_type) {
    switch (wire_type) {
      case 0:
        varint();
        return;
      case 1:
        if (end_ - pos_ < 8) bad("truncated fixed64");
        pos_ += 8;
        return;
      case 2:
        length_delimited();
        return;
      case 5:
        if (end_ - pos_ < 4) bad("truncated fixed32");
        pos_ += 4;
        return;
      default:
        bad("unsupported wire type " + std::to_string(wire_type));
    }
  }
  void expect(uint32_t wire_type, uint32_t want, const char* field) {
    if (wire_type != want) bad(std::string(field) + " has wire type " + std::to_string(wire_type));
  }
  [[noreturn]] void bad(const std::string& reason) const {
    fail(file_, "byte " + std::to_string(pos_) + ": " + reason + " (not a SentencePiece model?)");
  }

 private:
  std::string_view bytes_;
  size_t pos_, end_;
  const std::string& file_;
};

SentencePieceModel::Piece read_piece(std::string_view bytes, std::pair<size_t, size_t> range,
                                     const std::string& file) {
  SentencePieceModel::Piece piece;
  WireReader r(bytes, range.first, range.second, file);
  while (!r.done()) {
    const auto [field, wire] = r.tag();
    if (field == 1) {
      r.expect(wire, 2, "pieces.piece");
      const auto [b, e] = r.length_delimited();
      piece.text.assign(bytes.substr(b, e - b));
    } else if (field == 2) {
      r.expect(wire, 5, "pieces.score");
      piece.score = r.fixed32_float();
    } else if (field == 3) {
      r.expect(wire, 0, "pieces.type");
      const uint64_t t = r.varint();
      if (t < 1 || t > 6) r.bad("pieces.type " + std::to_string(t) + " is not a piece type");
      piece.type = static_cast<SentencePieceModel::PieceType>(t);
    } else {
      r.skip(wire);
    }
  }
  return piece;
}

}  // namespace

SentencePieceModel SentencePieceModel::parse(std::string_view bytes, const std::string& file) {
  SentencePieceModel m;
  WireReader top(bytes, 0, bytes.size(), file);
  if (bytes.empty()) top.bad("empty file");
  while (!top.done()) {
    const auto [field, wire] = top.tag();
    if (field == 1) {  // repeated SentencePiece pieces
      top.expect(wire, 2, "pieces");
      m.pieces.push_back(read_piece(bytes, top.length_delimited(), file));
    } else if (field == 2) {  // TrainerSpec
      top.expect(wire, 2, "trainer_spec");
      const auto range = top.length_delimited();
      WireReader r(bytes, range.first, range.second, file);
      while (!r.done()) {
        const auto [f, w] = r.tag();
        if (f == 3) {
          r.expect(w, 0, "trainer_spec.model_type");
          m.model_type = static_cast<ModelType>(static_cast<int32_t>(r.varint()));
        } else if (f == 35) {
          r.expect(w, 0, "trainer_spec.byte_fallback");
          m.byte_fallback = r.varint() != 0;
        } else if (f == 40) {
          r.expect(w, 0, "trainer_spec.unk_id");
          m.unk_id = static_cast<int32_t>(r.varint());
        } else {
          r.skip(w);
        }
      }
    } else if (field == 3) {  // NormalizerSpec
      top.expect(wire, 2, "normalizer_spec");
      const auto range = top.length_delimited();
      WireReader r(bytes, range.first, range.second, file);
      while (!r.done()) {
        const auto [f, w] = r.tag();
        if (f == 1 || f == 2) {
          r.expect(w, 2, f == 1 ? "normalizer_spec.name" : "normalizer_spec.precompiled_charsmap");
          const auto [b, e] = r.length_delimited();
          (f == 1 ? m.normalizer_name : m.precompiled_charsmap).assign(bytes.substr(b, e - b));
        } else if (f == 3 || f == 4 || f == 5) {
          r.expect(w, 0, "normalizer_spec flag");
          const bool v = r.varint() != 0;
          (f == 3 ? m.add_dummy_prefix : f == 4 ? m.remove_extra_whitespaces : m.escape_whitespaces) = v;
        } else {
          r.skip(w);
        }
      }
    } else {
      top.skip(wire);
    }
  }
  if (m.pieces.empty()) fail(file, "no pieces (not a SentencePiece model?)");
  return m;
}

}  // namespace kfembed
