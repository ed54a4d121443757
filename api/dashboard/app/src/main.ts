import { ApiFailure, session, type SessionInfo } from './api.ts'
import { h, mount, onRefresh } from './dom.ts'
import { currentLang, setLang, t } from './i18n.ts'
import { renderEnergy } from './views/energy.ts'
import { renderLine } from './views/line.ts'
import { renderMachine } from './views/machine.ts'
import { renderOverview } from './views/overview.ts'
import { renderShiftReport } from './views/shift-report.ts'
import { renderSignIn } from './views/sign-in.ts'
import { renderTv } from './views/tv.ts'
import { renderAnalyst } from './views/analyst.ts'

// Hash routes, so the API serves one page at / and nothing else:
//   #/                   plant overview
//   #/machine/<path>     one machine (path URL-encoded)
//   #/line/<path>        one line, its machines side by side
//   #/energy/<factory>[?period=shift|day|week]
//   #/report/<line>/<production date>/<shift>   printable shift report
//   #/tv[?every=<s>]     large-screen mode, rotating through the lines
//   #/analyst[?period=&metric=]  regional analyst's tables (analysts land here)
// Live views update themselves (state chips at once, KPIs on the feed's nudges); this full
// re-render is the fallback for figures that move with the clock alone (a machine down for an hour
// sends nothing new).
const REFRESH_MS = 60_000

const main = document.getElementById('main') as HTMLElement
const nav = document.getElementById('nav') as HTMLElement
let timer: ReturnType<typeof setTimeout> | undefined
let generation = 0
/** The signed-in user; undefined until the API was asked. */
let user: SessionInfo | null | undefined
/** The element the view on screen renders into, and its route. */
let root: HTMLElement | undefined
let rootPath: string | undefined

function renderNav(): void {
  const lang = h('button', { type: 'button', id: 'lang', lang: currentLang() === 'vi' ? 'en' : 'vi', onclick: () => (setLang(currentLang() === 'vi' ? 'en' : 'vi'), route()) }, t('language'))
  const signOut = async (): Promise<void> => {
    await session.signOut()
    user = null
    void route()
  }
  const out = user ? h('button', { type: 'button', id: 'sign-out', onclick: () => void signOut() }, t('signOut')) : null
  mount(nav, lang, ...(out ? [out] : []))
}

/**
 * Renders the route in the hash. Stale-render guard: every navigation gets a fresh root element, so
 * a slow answer for a view the user left lands in a detached element and never shows; `generation`
 * keeps a late error or the busy flag of an old render off the screen. A refresh of the same route
 * renders into the same root, replacing its content only when the new figures are in.
 */
async function route(opts: { refresh?: boolean } = {}): Promise<void> {
  const mine = ++generation
  clearTimeout(timer)
  if (user === undefined) {
    user = await session.current().catch(() => null)
    if (mine !== generation) return
  }
  renderNav()
  if (!user) {
    root = undefined
    return renderSignIn(main, (who) => {
      user = who
      void route()
    })
  }
  const path = location.hash.replace(/^#/, '') || '/'
  let view = root
  if (!opts.refresh || !view?.isConnected || rootPath !== path) {
    view = h('div', { class: 'view' }, h('p', { class: 'muted' }, t('loading')))
    root = view
    rootPath = path
    main.replaceChildren(view)
  }
  main.setAttribute('aria-busy', 'true')
  try {
    const m = /^\/machine\/(.+)$/.exec(path)
    let r: RegExpExecArray | null
    if (m) await renderMachine(view, decodeURIComponent(m[1] ?? ''))
    else if ((r = /^\/line\/([^?]+)$/.exec(path))) await renderLine(view, decodeURIComponent(r[1] ?? ''))
    else if ((r = /^\/energy\/([^?]+)(?:\?(.*))?$/.exec(path))) await renderEnergy(view, decodeURIComponent(r[1] ?? ''), new URLSearchParams(r[2] ?? '').get('period'))
    else if ((r = /^\/report\/([^/]+)\/([^/]+)\/([^/?]+)$/.exec(path))) await renderShiftReport(view, decodeURIComponent(r[1] ?? ''), r[2] ?? '', decodeURIComponent(r[3] ?? ''))
    else if ((r = /^\/tv(?:\?(.*))?$/.exec(path))) await renderTv(view, new URLSearchParams(r[1] ?? ''))
    else if ((r = /^\/analyst(?:\?(.*))?$/.exec(path)) || user.role === 'analyst') await renderAnalyst(view, new URLSearchParams(r?.[1] ?? ''))
    else await renderOverview(view)
  } catch (err) {
    if (mine !== generation) return
    if (err instanceof ApiFailure && err.status === 401) {
      user = null
      return void route()
    }
    mount(view, h('p', { class: 'card error', role: 'alert' }, err instanceof ApiFailure ? `${err.code}: ${err.message}` : String(err)))
  } finally {
    if (mine === generation) main.setAttribute('aria-busy', 'false')
  }
  if (mine === generation) timer = setTimeout(() => void route({ refresh: true }), REFRESH_MS)
}

setLang(currentLang())
window.addEventListener('hashchange', () => void route())
onRefresh(() => void route({ refresh: true }))
void route()
