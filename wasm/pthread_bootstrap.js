// js/wasm/kfembed_threads.bootstrap.js (copied there by the threaded build, so a bundler that copies
// kfembed_threads.* takes it along): a pthread worker of the threaded runtime on a browser where the relaxed-SIMD
// kernels are wired (js/runtime.js). A classic worker script: its first message names Emscripten's worker script and carries
// the compiled relaxed module. The script runs here (from then on it handles the messages), and its Module
// gets the relaxed module, which the runtime's pre-js (wasm/relaxed_pre.js) instantiates on this worker's
// memory and wires in, as the main thread did.
self.onmessage = ({ data }) => {
  const { script, relaxed } = data.kfembedBootstrap;
  self.importScripts(script);
  self.Module.kfembedRelaxed = relaxed;
};
