/* features/video/embed.ts - the embeddable player page (issue 9; R3.6, R3.12), the second Vite
 * input (web/embed.html), served by the gateway at /media/v1/embed/<tok>.
 *
 * It reads the play token from location.pathname and plays /media/v1/p/<tok>/live.mp4 with the
 * same player component as the camera wall: no cookie, no Authorization header, no call to
 * /api. The page has no inline script or style (the server sends a strict CSP whose
 * frame-ancestors lists the sites the issuing token may be framed by). Language: ?lang=en|zh-CN,
 * else the app's remembered choice, else the browser's (English for en-*), else zh-CN. */
import { createApp } from 'vue';
import { createI18n } from 'vue-i18n';
import EmbedApp from './EmbedApp.vue';
import { en, zhCN } from './messages';
import './embed.css';

function pickLocale(): 'zh-CN' | 'en' {
  const q = new URLSearchParams(location.search).get('lang');
  if (q === 'en' || q === 'zh-CN') return q;
  try {
    const v = localStorage.getItem('jiayuan.locale');
    if (v === 'en' || v === 'zh-CN') return v;
  } catch {
    /* storage blocked (third-party frame) */
  }
  return navigator.language.toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
}

const locale = pickLocale();
const i18n = createI18n({ legacy: false, locale, fallbackLocale: 'zh-CN', messages: { 'zh-CN': zhCN, en }, missingWarn: false, fallbackWarn: false });
document.documentElement.lang = locale;
document.title = (locale === 'en' ? en : zhCN).video.embedTitle;
createApp(EmbedApp).use(i18n).mount('#player');
