#include "tokenizer/vocab.h"

#include <cstring>

namespace kfembed {

uint64_t hash_bytes(std::string_view bytes) {
  // Word-at-a-time multiply/xorshift mix: keys are short (mostly < 16 bytes), so per-byte hashing would dominate.
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = 0x243F6A8885A308D3ull ^ (bytes.size() * kMul);
  const char* p = bytes.data();
  size_t n = bytes.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

size_t VocabMap::probe(std::string_view token, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id < 0) return i;
    if (s.hash == hash && s.length == token.size() &&
        std::memcmp(pool_.data() + s.offset, token.data(), token.size()) == 0) {
      return i;
    }
  }
}

void VocabMap::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id < 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].id >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void VocabMap::insert(std::string_view token, int32_t id) {
  if ((count_ + 1) * 2 > slots_.size()) grow();  // load factor <= 1/2 keeps probes short
  const uint64_t hash = hash_bytes(token);
  Slot& s = slots_[probe(token, hash)];
  if (s.id >= 0) {
    s.id = id;
    return;
  }
  s.hash = hash;
  s.offset = static_cast<uint32_t>(pool_.size());
  s.length = static_cast<uint32_t>(token.size());
  s.id = id;
  pool_.append(token);
  ++count_;
  size_t chars = 0;
  for (char c : token) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (chars > max_key_chars_) max_key_chars_ = chars;
}

int32_t VocabMap::find(std::string_view token) const {
  if (slots_.empty()) return -1;
  return slots_[probe(token, hash_bytes(token))].id;
}

}  // namespace kfembed
