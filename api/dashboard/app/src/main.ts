import { ApiFailure, session } from './api.ts'
import { h, mount } from './dom.ts'
import { currentLang, setLang, t } from './i18n.ts'
import { renderMachine } from './views/machine.ts'
import { renderOverview } from './views/overview.ts'
import { renderSignIn } from './views/sign-in.ts'

// Hash routes, so the API serves one page at / and nothing else:
//   #/                   plant overview
//   #/machine/<path>     one machine (path URL-encoded)
const REFRESH_MS = 30_000

const main = document.getElementById('main') as HTMLElement
const nav = document.getElementById('nav') as HTMLElement
let timer: ReturnType<typeof setTimeout> | undefined
let generation = 0

function renderNav(): void {
  const lang = h('button', { type: 'button', id: 'lang', lang: currentLang() === 'vi' ? 'en' : 'vi', onclick: () => (setLang(currentLang() === 'vi' ? 'en' : 'vi'), route()) }, t('language'))
  const out = session.key() ? h('button', { type: 'button', id: 'sign-out', onclick: () => (session.signOut(), route()) }, t('signOut')) : null
  mount(nav, lang, ...(out ? [out] : []))
}

async function route(): Promise<void> {
  const mine = ++generation
  clearTimeout(timer)
  renderNav()
  if (!session.key()) return renderSignIn(main, () => void route())
  const path = location.hash.replace(/^#/, '') || '/'
  main.setAttribute('aria-busy', 'true')
  if (!main.childElementCount) mount(main, h('p', { class: 'muted' }, t('loading')))
  try {
    const m = /^\/machine\/(.+)$/.exec(path)
    if (m) await renderMachine(main, decodeURIComponent(m[1] ?? ''))
    else await renderOverview(main)
  } catch (err) {
    if (mine !== generation) return
    if (err instanceof ApiFailure && err.status === 401) return void route()
    mount(main, h('p', { class: 'card error', role: 'alert' }, err instanceof ApiFailure ? `${err.code}: ${err.message}` : String(err)))
  } finally {
    if (mine === generation) main.setAttribute('aria-busy', 'false')
  }
  if (mine === generation) timer = setTimeout(() => void route(), REFRESH_MS)
}

setLang(currentLang())
window.addEventListener('hashchange', () => {
  main.replaceChildren()
  void route()
})
void route()
