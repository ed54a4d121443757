/**
 * One server-sent event as its wire text (https://html.spec.whatwg.org/multipage/server-sent-events.html):
 * `data` is JSON on one line, so no field can break the framing; an `id` lets the browser resume.
 */
export function sseEvent(event: string, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

/** A comment line: keeps proxies and the browser from timing the stream out, and finds dead connections. */
export const sseComment = (text: string): string => `: ${text.replace(/[\r\n]/g, ' ')}\n\n`

/** How long the browser waits before reconnecting a dropped stream, ms (sent once, first). */
export const sseRetry = (ms: number): string => `retry: ${Math.round(ms)}\n\n`
