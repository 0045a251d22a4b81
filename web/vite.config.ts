/* vite.config.ts - build of the jiayuan web UI (embedded into the server binary, S2).
 *
 * Everything is bundled (no CDN, no web fonts); no source maps are shipped (S4). Routes are
 * imported statically so that every chunk is referenced from index.html and covered by
 * the SRI plugin (build/sri.ts): a lazily imported chunk would be fetched by a script-made
 * <link> without an integrity attribute. Two HTML inputs: the app (index.html) and the
 * embeddable live-video player (embed.html, served by the gateway at /media/v1/embed/<tok>;
 * issue 9), which shares the Vue and hls.js chunks. Element Plus components and their CSS are
 * imported on demand through unplugin-vue-components.
 */
import { fileURLToPath, URL } from 'node:url';
import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import { defineConfig } from 'vite';
import sri from './build/sri';

/* The Vue runtime, OpenLayers (the map) and ECharts (the big screen) are split out (stable between releases, so cached apart). Element Plus
 * is left to the default chunking: a manual chunk for it defeats tree-shaking and ships
 * every component. */
function chunkFor(id: string): string | undefined {
  if (/node_modules\/(@vue|vue|vue-router|pinia|vue-i18n|@intlify)\//.test(id)) return 'vue';
  if (/node_modules\/(ol|rbush|quickselect|earcut)\//.test(id)) return 'ol';
  if (/node_modules\/hls\.js\//.test(id)) return 'hls';
  if (/node_modules\/(echarts|zrender|tslib)\//.test(id)) return 'echarts';
  return undefined;
}

export default defineConfig({
  base: '/',
  plugins: [
    vue(),
    Components({
      resolvers: [ElementPlusResolver({ importStyle: 'css' })],
      dts: 'src/components.d.ts',
    }),
    sri(),
  ],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  define: {
    __VUE_OPTIONS_API__: 'true',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'true',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2020',
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 900,
    modulePreload: { polyfill: true },
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        embed: fileURLToPath(new URL('./embed.html', import.meta.url)),
      },
      output: { manualChunks: chunkFor },
    },
  },
  server: {
    // Development only: the C server on its default port answers /api and /healthz.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
    },
  },
});
