// Token string -> id map: open addressing over one string pool, looked up by string_view without allocating.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kfembed {

class VocabMap {
 public:
  // Inserts or overwrites (a later duplicate wins, as in Python/Rust map construction).
  void insert(std::string_view token, int32_t id);
  int32_t find(std::string_view token) const;  // -1 if absent
  // Same, with hash == hash_bytes(token) already computed (incrementally, by the WordPiece search).
  int32_t find(std::string_view token, uint64_t hash) const;
  size_t size() const { return count_; }
  // Longest key measured in code points (bounds the WordPiece search window).
  size_t max_key_chars() const { return max_key_chars_; }
  template <typename Fn>
  void for_each(Fn&& fn) const {  // fn(std::string_view token, int32_t id), in no particular order
    for (const Slot& s : slots_) {
      if (s.id >= 0) fn(std::string_view(pool_.data() + s.offset, s.length), s.id);
    }
  }

 private:
  struct Slot {  // 16 bytes: the table for a 20k-130k vocabulary stays cache friendly
    uint32_t tag = 0;  // high half of the hash
    uint32_t offset = 0;
    uint32_t length = 0;
    int32_t id = -1;  // -1: empty
  };
  bool maybe_present(uint64_t hash) const {
    const size_t bit = (hash >> 40) & (kFilterBits - 1);
    return (filter_[bit >> 6] >> (bit & 63)) & 1;
  }
  static constexpr size_t kFilterBits = size_t{1} << 18;
  void grow();
  size_t probe(std::string_view token, uint64_t hash) const;

  std::vector<Slot> slots_;
  // One bit per hash value (32 KiB): most WordPiece lookups are misses, and this answers them without
  // touching the big table.
  std::vector<uint64_t> filter_;
  std::string pool_;
  size_t count_ = 0;
  size_t max_key_chars_ = 0;
};

// hash_bytes(b) == hash_finish(hash_update(kHashSeed, b)); the split lets callers hash all prefixes of a word
// in one pass.
constexpr uint64_t kHashSeed = 0xCBF29CE484222325ull;
inline uint64_t hash_update(uint64_t state, std::string_view bytes) {
  for (unsigned char c : bytes) state = (state ^ c) * 0x100000001B3ull;  // FNV-1a
  return state;
}
inline uint64_t hash_finish(uint64_t state) {
  state ^= state >> 33;
  state *= 0xFF51AFD7ED558CCDull;
  state ^= state >> 33;
  state *= 0xC4CEB9FE1A85EC53ull;
  return state ^ (state >> 33);
}
inline uint64_t hash_bytes(std::string_view bytes) { return hash_finish(hash_update(kHashSeed, bytes)); }

}  // namespace kfembed
