import { ApiFailure, session, type SessionInfo } from '../api.ts'
import { h, mount } from '../dom.ts'
import { t } from '../i18n.ts'

/**
 * Paste an API key: it is sent once to `POST /api/v1/session`, which answers with an HttpOnly
 * session cookie; the page forgets the key at once (the field is cleared, nothing is stored).
 */
export function renderSignIn(main: HTMLElement, done: (who: SessionInfo) => void): void {
  const input = h('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', 'aria-describedby': 'sign-in-help' })
  const error = h('p', { class: 'error', role: 'alert', id: 'sign-in-error' })
  const form = h(
    'form',
    {
      class: 'card sign-in',
      onsubmit: (e: Event) => {
        e.preventDefault()
        const key = input.value.trim()
        error.textContent = ''
        input.value = ''
        session
          .signIn(key)
          .then(done)
          .catch((err: unknown) => {
            error.textContent = err instanceof ApiFailure && (err.status === 401 || err.status === 403) ? `${t('badKey')} (${err.code})` : String((err as Error).message)
            input.focus()
          })
      },
    },
    h('h1', {}, t('signInTitle')),
    h('p', { id: 'sign-in-help' }, t('signInHelp')),
    h('label', { for: 'api-key' }, t('apiKey')),
    input,
    h('button', { type: 'submit' }, t('signIn')),
    error,
  )
  mount(main, form)
  input.focus()
}
