// Progress events and cancellation shared by every loader path: the `onProgress` cadence of one file and the
// AbortSignal helpers (throw its reason, sleep unless aborted).

/** The error a signal carries (signal.reason), as signal.throwIfAborted() would throw it. */
export function abortReason(signal) {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

export function throwIfAborted(signal) {
  if (signal?.aborted) throw abortReason(signal);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const PROGRESS_INTERVAL_MS = 250;

/**
 * Progress events for one file: at least one per 1% of the file or per 250 ms while bytes arrive (whichever
 * comes first), and always a final event with loaded === total.
 */
export function progressReporter(onProgress, file, phase) {
  if (!onProgress) return { update() {}, done() {}, event() {} };
  let lastLoaded = -1;
  let lastTime = 0;
  const emit = (loaded, total, extra) => {
    lastLoaded = loaded;
    lastTime = Date.now();
    onProgress({ file, loaded, total: total ?? 0, phase, ...extra });
  };
  return {
    update(loaded, total) {
      const step = total ? total / 100 : Infinity;
      if (lastLoaded < 0 || loaded - lastLoaded >= step || Date.now() - lastTime >= PROGRESS_INTERVAL_MS) {
        emit(loaded, total);
      }
    },
    done(length) {
      emit(length, length);
    },
    /** A side event (retry, warning) for this file; does not reset the cadence. */
    event(fields) {
      onProgress({ file, phase, ...fields });
    },
  };
}
