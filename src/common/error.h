// Errors raised while reading models and tokenizers. Messages always name the file (or argument) and the
// reason, because they surface verbatim as JS `Error` messages.
#pragma once
#include <stdexcept>
#include <string>

namespace kfembed {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// "<where>: <reason>", e.g. "model.safetensors: header length 9999999999 exceeds file size 120".
[[noreturn]] inline void fail(const std::string& where, const std::string& reason) {
  throw Error(where + ": " + reason);
}

}  // namespace kfembed
