// The one error style of the bindings files: no C++ exception crosses into JS. Every call that can fail
// (allocation included) returns guarded(...): either its result or a JS `Error` object carrying kfembed's
// message; js/runtime.js `check()` turns the latter into a throw. Calls that cannot fail return plain values.
#pragma once
#include <emscripten/val.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <new>
#include <string>

#include "common/error.h"

namespace kfembed::wasm {

inline emscripten::val js_error(const std::string& message) {
  return emscripten::val::global("Error").new_(message);
}

template <class F>
emscripten::val guarded(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return js_error("out of memory (WASM heap limit reached)");
  } catch (const std::exception& e) {
    return js_error(e.what());
  }
}

// The twin of guarded() for the hot calls exported as plain functions (bindings.cpp, "Hot calls"): f()
// returns a count ≥ 0; a failure stores its message in `error` and returns -1, and JS reads the message with
// the handle's lastError(). Plain exports skip Embind's invokers, which a build without dynamic code
// generation (-sDYNAMIC_EXECUTION=0, for a strict Content-Security-Policy) makes several times slower.
template <class F>
double guarded_count(std::string& error, F&& f) {
  try {
    return static_cast<double>(f());
  } catch (const std::bad_alloc&) {
    error = "out of memory (WASM heap limit reached)";
  } catch (const std::exception& e) {
    error = e.what();
  }
  return -1.0;
}

inline uintptr_t address_of(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// Most bytes one call stages (js/runtime.js MAX_STAGING_BYTES): the largest std::vector<char> of wasm32.
constexpr double kMaxStagingBytes = 2147483647.0;

// Sizes and counts come from JS as doubles, never as size_t: Embind would wrap 2^32 + n to n and a buffer
// would be sized for n. `value` (argument `what`) must be an integer in [0, limit]; else a kfembed::Error,
// thrown inside guarded() before anything is allocated.
inline size_t checked_size(double value, double limit, const char* what) {
  if (!(value >= 0.0 && value <= limit && std::floor(value) == value)) {
    kfembed::fail(what, "expected an integer from 0 to " + std::to_string(static_cast<uint64_t>(limit)) +
                            ", got " + std::to_string(value));
  }
  return static_cast<size_t>(value);
}

// A byte count of one call's staging (checked_size against kMaxStagingBytes).
inline size_t staging_bytes(double value, const char* what) { return checked_size(value, kMaxStagingBytes, what); }

}  // namespace kfembed::wasm
