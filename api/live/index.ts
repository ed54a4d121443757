// Live updates: the change feed (polls ClickHouse or hears from ingest) and the SSE framing.
export { LIVE_DEFAULTS, LiveFeed, inScope, type LiveFeedOptions, type LiveListener, type LiveScope } from './feed.ts'
export { pollLiveRows, type LiveRows, type MachineLive } from './query.ts'
export { sseComment, sseEvent, sseRetry } from './sse.ts'
