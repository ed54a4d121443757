// Vietnamese and English, with the locale's number and date formats; times always on the
// factory's clock (its timezone from the API), whatever the browser's zone.
export type Lang = 'vi' | 'en'

const en = {
  signInTitle: 'Sign in',
  signInHelp: 'Paste your API key (an administrator makes one with `shopfloor api-key create`). It is kept in this browser tab only.',
  apiKey: 'API key',
  signIn: 'Sign in',
  signOut: 'Sign out',
  badKey: 'The API did not accept this key',
  factory: 'Factory',
  plantOverview: 'Plant overview',
  line: 'Line',
  machines: 'Machines',
  oee: 'OEE',
  availability: 'Availability',
  performance: 'Performance',
  quality: 'Quality',
  state: 'State',
  shift: 'Shift',
  noShift: 'No shift in the last 24 hours',
  shiftEnded: 'ended',
  since: 'since',
  good: 'Good',
  produced: 'Produced',
  rejected: 'Rejected',
  timeline: 'State timeline (shift)',
  waterfall: 'Loss waterfall (seconds)',
  downtime: 'Downtime reasons',
  noDowntime: 'No downtime in this shift',
  reason: 'Reason',
  stops: 'Stops',
  seconds: 'Seconds',
  share: 'Share',
  back: 'Plant overview',
  loading: 'Loading…',
  noData: 'No data',
  updated: 'Updated',
  noFactories: 'This key sees no factory',
  noMachines: 'No machine of this factory has reported yet',
  judgedBy: 'judged by',
  language: 'Tiếng Việt',
  'wf.plannedBusy': 'Planned busy time',
  'wf.setup': 'Setup',
  'wf.failure': 'Failures',
  'wf.idle': 'Idle',
  'wf.actualProduction': 'Actual production time',
  'wf.microStops': 'Micro-stops',
  'wf.speed': 'Speed loss',
  'wf.net': 'Net production time',
  'wf.quality': 'Quality loss',
  'wf.fullyProductive': 'Fully productive time',
  'st.RUNNING': 'Running',
  'st.IDLE': 'Idle',
  'st.DOWN': 'Down',
  'st.SETUP': 'Setup',
  'st.PLANNED_STOP': 'Planned stop',
  'st.OFFLINE': 'Offline',
  'reason.none': '(no reason)',
}

type Key = keyof typeof en

const vi: Record<Key, string> = {
  signInTitle: 'Đăng nhập',
  signInHelp: 'Dán khóa API của bạn (quản trị viên tạo bằng `shopfloor api-key create`). Khóa chỉ được giữ trong tab trình duyệt này.',
  apiKey: 'Khóa API',
  signIn: 'Đăng nhập',
  signOut: 'Đăng xuất',
  badKey: 'API không chấp nhận khóa này',
  factory: 'Nhà máy',
  plantOverview: 'Tổng quan nhà máy',
  line: 'Dây chuyền',
  machines: 'Máy',
  oee: 'OEE',
  availability: 'Khả dụng',
  performance: 'Hiệu suất',
  quality: 'Chất lượng',
  state: 'Trạng thái',
  shift: 'Ca',
  noShift: 'Không có ca nào trong 24 giờ qua',
  shiftEnded: 'đã kết thúc',
  since: 'từ',
  good: 'Đạt',
  produced: 'Sản xuất',
  rejected: 'Lỗi',
  timeline: 'Diễn biến trạng thái (ca)',
  waterfall: 'Thác tổn thất (giây)',
  downtime: 'Nguyên nhân dừng máy',
  noDowntime: 'Không có dừng máy trong ca này',
  reason: 'Nguyên nhân',
  stops: 'Số lần dừng',
  seconds: 'Giây',
  share: 'Tỷ lệ',
  back: 'Tổng quan nhà máy',
  loading: 'Đang tải…',
  noData: 'Không có dữ liệu',
  updated: 'Cập nhật',
  noFactories: 'Khóa này không xem được nhà máy nào',
  noMachines: 'Chưa có máy nào của nhà máy này gửi dữ liệu',
  judgedBy: 'đánh giá theo',
  language: 'English',
  'wf.plannedBusy': 'Thời gian kế hoạch',
  'wf.setup': 'Chuyển đổi',
  'wf.failure': 'Hỏng hóc',
  'wf.idle': 'Chờ',
  'wf.actualProduction': 'Thời gian sản xuất thực',
  'wf.microStops': 'Dừng ngắn',
  'wf.speed': 'Tổn thất tốc độ',
  'wf.net': 'Thời gian sản xuất tinh',
  'wf.quality': 'Tổn thất chất lượng',
  'wf.fullyProductive': 'Thời gian hữu ích',
  'st.RUNNING': 'Đang chạy',
  'st.IDLE': 'Chờ',
  'st.DOWN': 'Dừng',
  'st.SETUP': 'Chuyển đổi',
  'st.PLANNED_STOP': 'Dừng kế hoạch',
  'st.OFFLINE': 'Mất kết nối',
  'reason.none': '(không rõ nguyên nhân)',
}

const MESSAGES: Record<Lang, Record<Key, string>> = { en, vi }
const LOCALES: Record<Lang, string> = { en: 'en-GB', vi: 'vi-VN' }
const STORE = 'shopfloor.lang'

let lang: Lang = localStorage.getItem(STORE) === 'en' ? 'en' : 'vi'

export const currentLang = (): Lang => lang
export function setLang(l: Lang): void {
  lang = l
  localStorage.setItem(STORE, l)
  document.documentElement.lang = l
}
export const t = (key: Key): string => MESSAGES[lang][key]
/** A message by a computed key (state names, waterfall steps); the key itself when unknown. */
export const tk = (key: string): string => (key in en ? MESSAGES[lang][key as Key] : key)

const locale = (): string => LOCALES[lang]

/** 0.656 -> "65.6 %" / "65,6 %"; null -> "–". */
export const pct = (r: number | null | undefined): string => (r == null ? '–' : new Intl.NumberFormat(locale(), { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(r))
export const num = (n: number, digits = 0): string => new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n)
/** Time of day on the factory's clock. */
export const time = (ms: number, tz: string, seconds = false): string =>
  new Intl.DateTimeFormat(locale(), { timeZone: tz, hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) }).format(ms)
export const dateTime = (ms: number, tz: string): string =>
  new Intl.DateTimeFormat(locale(), { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(ms)
/** 4740 s -> "1 h 19 min" in both languages (SI symbols). */
export function duration(s: number): string {
  const m = Math.round(Math.abs(s) / 60)
  const sign = s < 0 ? '−' : ''
  const abs = Math.round(Math.abs(s))
  if (abs < 60) return `${sign}${num(abs)} s`
  // Under 10 minutes the seconds matter (micro-stops, a short shift so far).
  if (abs < 600) return `${sign}${num(Math.floor(abs / 60))} min${abs % 60 ? ` ${num(abs % 60)} s` : ''}`
  return m >= 60 ? `${sign}${num(Math.floor(m / 60))} h ${num(m % 60)} min` : `${sign}${num(m)} min`
}
