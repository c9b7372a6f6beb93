import { useEffect, useRef, useState } from "react";

import { follow } from "./stream";
import type { StreamHandlers, StreamState } from "./stream";

/** Follow the event stream at `path` (none when undefined) while the component shows;
 * the handlers may change between renders without reconnecting. */
export function useStream(path: string | undefined, handlers: StreamHandlers): StreamState {
  const current = useRef(handlers);
  current.current = handlers;
  const [state, setState] = useState<StreamState>("closed");
  useEffect(() => {
    if (!path) return;
    return follow(path, {
      onEvent: (event, data) => current.current.onEvent(event, data),
      onOpen: (reconnected) => current.current.onOpen?.(reconnected),
      onState: (s, detail) => {
        setState(s);
        current.current.onState?.(s, detail);
      },
    });
  }, [path]);
  return path ? state : "closed";
}

/** `value`, changing at most once every `ms` (the latest value always arrives). */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (Object.is(value, shown)) return;
    const wait = Math.max(0, last.current + ms - Date.now());
    const timer = setTimeout(() => {
      last.current = Date.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, shown, ms]);
  return shown;
}

/** A function that calls `fn` at most once every `ms`, the last call always honoured. */
export function useThrottledCallback(fn: () => void, ms: number): () => void {
  const current = useRef(fn);
  current.current = fn;
  const state = useRef<{ last: number; timer: ReturnType<typeof setTimeout> | undefined }>({ last: 0, timer: undefined });
  useEffect(() => () => clearTimeout(state.current.timer), []);
  const call = useRef(() => {
    const s = state.current;
    if (s.timer !== undefined) return;
    const wait = Math.max(0, s.last + ms - Date.now());
    s.timer = setTimeout(() => {
      s.timer = undefined;
      s.last = Date.now();
      current.current();
    }, wait);
  });
  return call.current;
}
