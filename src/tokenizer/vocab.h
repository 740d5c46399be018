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
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0;
    uint32_t length = 0;
    int32_t id = -1;  // -1: empty
  };
  void grow();
  size_t probe(std::string_view token, uint64_t hash) const;

  std::vector<Slot> slots_;
  std::string pool_;
  size_t count_ = 0;
  size_t max_key_chars_ = 0;
};

uint64_t hash_bytes(std::string_view bytes);

}  // namespace kfembed
