// Requests of the compare view go through one bounded pool: hundreds of runs times a few
// metrics must not open hundreds of connections at once (browsers allow 6 per host over
// HTTP/1.1; the rest would queue inside the browser, uncancellable and unordered).

const LIMIT = 6;
let active = 0;
const waiting: (() => void)[] = [];

/** Run `task` when one of the LIMIT slots is free; an aborted signal skips it. */
export function pooled<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const start = () => {
      if (signal?.aborted) {
        next();
        reject(new DOMException("aborted", "AbortError"));
        return;
      }
      active += 1;
      task().then(resolve, reject).finally(() => {
        active -= 1;
        next();
      });
    };
    if (active < LIMIT) start();
    else waiting.push(start);
  });
}

function next(): void {
  if (active < LIMIT) waiting.shift()?.();
}
