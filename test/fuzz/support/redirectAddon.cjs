// Preloaded (node -r) into the Jazzer.js process by test/fuzz/support/runner.ts
// when the prebuilt libFuzzer addon does not load on this system: every
// dlopen of the original addon opens the patched copy instead (see
// glibcCompat.ts for what the patch changes and why).
'use strict';
const from = process.env.TLS13_FUZZ_ADDON_FROM;
const to = process.env.TLS13_FUZZ_ADDON_TO;
if (from && to) {
  const original = process.dlopen;
  process.dlopen = function dlopen(module, filename, ...rest) {
    return original.call(this, module, filename === from ? to : filename, ...rest);
  };
}
