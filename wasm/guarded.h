// The one error style of the bindings files: no C++ exception crosses into JS. Every call that can fail
// (allocation included) returns guarded(...): either its result or a JS `Error` object carrying kfembed's
// message; js/runtime.js `check()` turns the latter into a throw. Calls that cannot fail return plain values.
#pragma once
#include <emscripten/val.h>

#include <cstdint>
#include <exception>
#include <new>
#include <string>

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

inline uintptr_t address_of(const void* p) { return reinterpret_cast<uintptr_t>(p); }

}  // namespace kfembed::wasm
