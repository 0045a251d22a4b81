/* hls-light.d.ts - types of hls.js's light build (the package exports "./light" without a
 * "types" condition; its API is the full build's). */
declare module 'hls.js/light' {
  export * from 'hls.js';
  export { default } from 'hls.js';
}
