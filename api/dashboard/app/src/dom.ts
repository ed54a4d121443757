/** A tiny element builder: text children are escaped by construction (no innerHTML anywhere). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined | ((e: Event) => void)> = {},
  ...children: Array<Node | string | null | undefined | false>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c)
  return el
}

/** Replaces an element's content. */
export function mount(el: HTMLElement, ...children: Array<Node | string>): void {
  el.replaceChildren(...children)
}

/** The last path segment: machine and line ids. */
export const leaf = (path: string): string => path.slice(path.lastIndexOf('/') + 1)

let refresh: () => void = () => {}

/** main.ts: what {@link requestRefresh} does (re-render the route on screen in place). */
export function onRefresh(fn: () => void): void {
  refresh = fn
}

/**
 * Re-renders the view on screen in place (a control of the view changed, e.g. the factory picked),
 * through the router so the stale-render guard applies, rather than calling the view again.
 */
export function requestRefresh(): void {
  refresh()
}
