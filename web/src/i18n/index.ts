/* i18n/index.ts - vue-i18n (Composition API, JIT message compiler: no eval, CSP-safe).
 * Simplified Chinese by default; the choice is remembered in localStorage. */
import { createI18n } from 'vue-i18n';
import zhCN from './zh-CN';
import en from './en';
import { setAcceptLanguage } from '@/api/client';
import * as placesText from '@/features/places/messages';
import * as camerasText from '@/features/cameras/messages';
import * as videoText from '@/features/video/messages';
import * as reviewText from '@/features/review/messages';
import * as testingText from '@/features/testing/messages';
import * as screenText from '@/features/screen/messages';
import * as exchangeSitesText from '@/features/exchange/sites/messages';
import * as hotlineText from '@/features/exchange/hotline/messages';
import * as healthText from '@/features/exchange/health/messages';
import * as emergencyText from '@/features/exchange/emergency/messages';

export type Locale = 'zh-CN' | 'en';
export const LOCALES: Locale[] = ['zh-CN', 'en'];
const STORAGE_KEY = 'jiayuan.locale';

function initialLocale(): Locale {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (v === 'en' || v === 'zh-CN') return v;
  } catch {
    /* storage blocked: default */
  }
  return 'zh-CN';
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: {
    'zh-CN': { ...zhCN, ...placesText.zhCN, ...camerasText.zhCN, ...videoText.zhCN, ...testingText.zhCN, ...reviewText.zhCN, ...screenText.zhCN, ...exchangeSitesText.zhCN, ...hotlineText.zhCN, ...healthText.zhCN, ...emergencyText.zhCN },
    en: { ...en, ...placesText.en, ...camerasText.en, ...videoText.en, ...testingText.en, ...reviewText.en, ...screenText.en, ...exchangeSitesText.en, ...hotlineText.en, ...healthText.en, ...emergencyText.en },
  },
  missingWarn: false,
  fallbackWarn: false,
});

function applyDocument(l: Locale) {
  document.documentElement.lang = l;
  setAcceptLanguage(l === 'en' ? 'en' : 'zh-CN');
  document.title = (l === 'en' ? en : zhCN).app.title;
}

applyDocument(initialLocale());

export function setLocale(l: Locale): void {
  i18n.global.locale.value = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    /* not remembered */
  }
  applyDocument(l);
}

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale;
}
