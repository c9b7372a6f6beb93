// Server-Sent Events read with fetch and a ReadableStream, not EventSource: EventSource
// cannot send `Authorization`, and a server with tokens needs it. Reconnects with
// `Last-Event-ID` and a growing pause (1 s, 2 s, 4 s … 30 s) after a failure.
import { openEventStream } from "../../api";

export type StreamState = "connecting" | "live" | "reconnecting" | "closed";

export interface StreamHandlers {
  /** One event (`event:` name, `data:` parsed as JSON). */
  onEvent: (event: string, data: unknown) => void;
  /** The stream is (re)connected; `reconnected` is false the first time. */
  onOpen?: (reconnected: boolean) => void;
  onState?: (state: StreamState, detail?: string) => void;
}

export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/** Parse SSE text, fed in pieces: each call returns the events completed so far. */
export class SseParser {
  private buffer = "";
  private event = "";
  private data: string[] = [];
  private id: string | undefined = undefined;

  feed(text: string): SseEvent[] {
    this.buffer += text;
    const out: SseEvent[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith("\r\n", newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + width);
      if (line === "") {
        if (this.data.length) out.push({ event: this.event || "message", data: this.data.join("\n"), id: this.id });
        this.event = "";
        this.data = [];
        continue;
      }
      if (line.startsWith(":")) continue; // a comment: keep-alive
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") this.event = value;
      else if (field === "data") this.data.push(value);
      else if (field === "id") this.id = value;
    }
    return out;
  }

  /** The id of the last event seen (sent back as Last-Event-ID when reconnecting). */
  get lastId(): string | undefined {
    return this.id;
  }
}

const MAX_PAUSE_MS = 30_000;

/** Follow the stream at an API `path` until the returned function is called. Answers
 * 401/403/404 end it (state "closed" with the reason); other failures reconnect. */
export function follow(path: string, handlers: StreamHandlers): () => void {
  const controller = new AbortController();
  let lastId: string | undefined = undefined;
  let failures = 0;
  let opened = false;

  const run = async () => {
    while (!controller.signal.aborted) {
      handlers.onState?.(opened ? "reconnecting" : "connecting");
      let response: Response | undefined;
      try {
        response = await openEventStream(path, lastId, controller.signal);
      } catch {
        response = undefined;
      }
      if (controller.signal.aborted) return;
      if (response && [401, 403, 404].includes(response.status)) {
        handlers.onState?.("closed", `the server answered ${response.status}`);
        return;
      }
      if (response?.ok && response.body) {
        const reconnected = opened;
        opened = true;
        failures = 0;
        handlers.onState?.("live");
        handlers.onOpen?.(reconnected);
        const parser = new SseParser();
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            for (const event of parser.feed(value)) {
              let data: unknown = undefined;
              try {
                data = JSON.parse(event.data);
              } catch {
                data = event.data;
              }
              handlers.onEvent(event.event, data);
              if (event.event === "run_deleted" && path.startsWith("/runs/")) {
                handlers.onState?.("closed", "the run was deleted");
                controller.abort();
                return;
              }
            }
            lastId = parser.lastId ?? lastId;
          }
        } catch {
          // the connection dropped: reconnect below
        }
        lastId = parser.lastId ?? lastId;
      }
      if (controller.signal.aborted) return;
      failures += 1;
      const pause = Math.min(MAX_PAUSE_MS, 1000 * 2 ** Math.min(failures - 1, 5));
      handlers.onState?.("reconnecting", `retrying in ${Math.round(pause / 1000)} s`);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  };
  void run();
  return () => {
    controller.abort();
    handlers.onState?.("closed");
  };
}
