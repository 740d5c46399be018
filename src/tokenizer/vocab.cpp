#include "tokenizer/vocab.h"

#include <cstring>

namespace kfembed {

size_t VocabMap::probe(std::string_view token, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id < 0) return i;
    if (s.tag == static_cast<uint32_t>(hash >> 32) && s.length == token.size() &&
        std::memcmp(pool_.data() + s.offset, token.data(), token.size()) == 0) {
      return i;
    }
  }
}

namespace {
uint64_t slot_hash_of(const std::string& pool, uint32_t offset, uint32_t length) {
  return hash_bytes(std::string_view(pool.data() + offset, length));
}
}  // namespace

void VocabMap::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id < 0) continue;
    size_t i = slot_hash_of(pool_, s.offset, s.length) & mask;
    while (slots_[i].id >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void VocabMap::insert(std::string_view token, int32_t id) {
  if ((count_ + 1) * 3 > slots_.size() * 2) grow();  // load factor <= 2/3 keeps probes short
  if (filter_.empty()) filter_.assign(kFilterBits / 64, 0);
  const uint64_t hash = hash_bytes(token);
  const size_t bit = (hash >> 40) & (kFilterBits - 1);
  filter_[bit >> 6] |= uint64_t{1} << (bit & 63);
  Slot& s = slots_[probe(token, hash)];
  if (s.id >= 0) {
    s.id = id;
    return;
  }
  s.tag = static_cast<uint32_t>(hash >> 32);
  s.offset = static_cast<uint32_t>(pool_.size());
  s.length = static_cast<uint32_t>(token.size());
  s.id = id;
  pool_.append(token);
  ++count_;
  size_t chars = 0;
  for (char c : token) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (chars > max_key_chars_) max_key_chars_ = chars;
}

int32_t VocabMap::find(std::string_view token) const { return find(token, hash_bytes(token)); }

int32_t VocabMap::find(std::string_view token, uint64_t hash) const {
  if (slots_.empty() || !maybe_present(hash)) return -1;
  return slots_[probe(token, hash)].id;
}

}  // namespace kfembed
