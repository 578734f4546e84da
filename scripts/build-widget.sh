#!/usr/bin/env bash
# Builds the widget into www/dist (served by the edge as static assets):
#   www/dist/v1/kelisim.js                          the one file the tag loads (loader + glue)
#   www/dist/v1/assets/kelisim-<sha256:16>.wasm     content-hashed, cached for a year
#   www/dist/_headers                               CORS and cache rules for both; the dashboard's
#                                                   CSP with frame-ancestors and X-Frame-Options
#                                                   (browsers ignore frame-ancestors in a meta tag)
# Run from the repository root (./x build runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
WASM_BINDGEN="${WASM_BINDGEN_BIN:-$CARGO_BIN/wasm-bindgen}"
WASM_OPT="${WASM_OPT_BIN:-$ROOT/node_modules/.bin/wasm-opt}"
ESBUILD="$ROOT/node_modules/.bin/esbuild"
DIST="$ROOT/www/dist"
# The brotli budget for everything the tag brings (loader + glue + wasm, CSS inside the loader).
# Over budget is a warning; KELISIM_WIDGET_SIZE_STRICT=1 makes it an error. (The widget is about
# 35 KB today, down from 80: what remains is the decisions, receipts and texts in Rust, see
# widget/README.md "Size".)
BUDGET_BYTES=$((30 * 1024))

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Only the cdylib: built beside the rlib of Cargo.toml's crate-type (which the native tests
# use), the same code links to a wasm of 81.6 KB after wasm-opt instead of 71.2 KB (3.0 KB brotli more).
cargo rustc -p kelisim-widget --target wasm32-unknown-unknown --release --quiet --crate-type cdylib
"$WASM_BINDGEN" --target no-modules --no-typescript --out-dir "$tmp" --out-name kelisim \
  "$ROOT/target/wasm32-unknown-unknown/release/kelisim_widget.wasm"
# --flatten --rereloop before -Oz and the two memory assumptions (Rust's wasm keeps its stack and
# data far above the low 1 KiB; a fresh instance's memory is zeroed) save about 460 B brotli.
WASM_OPT_PASSES=(--flatten --rereloop -Oz -Oz --converge --low-memory-unused --zero-filled-memory)
"$WASM_OPT" "${WASM_OPT_PASSES[@]}" --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  --strip-debug --strip-producers -o "$tmp/kelisim.opt.wasm" "$tmp/kelisim_bg.wasm"

# The same optimisation keeping the function names (-g), for the size report below only.
"$WASM_OPT" "${WASM_OPT_PASSES[@]}" -g --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  --strip-producers -o "$tmp/kelisim.named.wasm" "$tmp/kelisim_bg.wasm"

hash=$(sha256sum "$tmp/kelisim.opt.wasm" | cut -c1-16)
wasm_name="kelisim-$hash.wasm"

# The stylesheet, minified, goes into the loader (it paints the banner before the wasm is ready).
if [ -x "$ESBUILD" ]; then
  "$ESBUILD" "$ROOT/widget/src/widget.css" --minify --log-level=warning --outfile="$tmp/widget.css"
else
  cp "$ROOT/widget/src/widget.css" "$tmp/widget.css"
fi

# The loader with the glue and the stylesheet inlined. The glue declares `let wasm_bindgen`;
# inside the loader's function it is a local, so the page gets no global but window.kelisim (and
# the Consent Mode dataLayer/gtag).
node - "$ROOT/widget/js/loader.js" "$tmp/kelisim.js" "$wasm_name" "$tmp/widget.css" "$tmp/loader.js" <<'EOF'
const fs = require('fs');
const [loaderPath, gluePath, wasmName, cssPath, out] = process.argv.slice(2);
const loader = fs.readFileSync(loaderPath, 'utf8');
const glue = fs.readFileSync(gluePath, 'utf8');
const css = fs.readFileSync(cssPath, 'utf8').trim();
if (!loader.includes('/*GLUE*/') || !loader.includes("'/v1/assets/WASM_FILE'") || !loader.includes("'CSS_TEXT'") ||
  loader.split("'KELISIM_FIRST_LAYERS'").length !== 2) {
  throw new Error('loader.js lost its GLUE, WASM_FILE, CSS_TEXT or KELISIM_FIRST_LAYERS marker');
}
fs.writeFileSync(out, loader.replace('/*GLUE*/', () => glue).replace("'/v1/assets/WASM_FILE'", () => `'/v1/assets/${wasmName}'`)
  .replace("'CSS_TEXT'", () => JSON.stringify(css)));
EOF

rm -rf "$DIST/v1"
mkdir -p "$DIST/v1/assets"
if [ -x "$ESBUILD" ]; then
  "$ESBUILD" "$tmp/loader.js" --minify --target=es2019 --legal-comments=inline --log-level=warning \
    --outfile="$DIST/v1/kelisim.js"
else
  cp "$tmp/loader.js" "$DIST/v1/kelisim.js"
fi
cp "$tmp/kelisim.opt.wasm" "$DIST/v1/assets/$wasm_name"
# The edge writes a site's first layers into this literal (edge/src/site_loader.rs): it must be
# there once, as a string, after minifying.
if [ "$(grep -o "[\"']KELISIM_FIRST_LAYERS[\"']" "$DIST/v1/kelisim.js" | wc -l)" != 1 ]; then
  echo "the built loader must hold the KELISIM_FIRST_LAYERS literal exactly once" >&2; exit 1
fi
# The receipt prover (kelisim.prove): an ES module loaded only when a page asks, never on the
# banner's path.
if [ -x "$ESBUILD" ]; then
  "$ESBUILD" "$ROOT/widget/js/prove.js" --minify --format=esm --target=es2020 --log-level=warning \
    --outfile="$DIST/v1/kelisim-prove.js"
else
  cp "$ROOT/widget/js/prove.js" "$DIST/v1/kelisim-prove.js"
fi
cat > "$DIST/_headers" <<'EOF'
/v1/*
  Access-Control-Allow-Origin: *
/v1/assets/*
  Cache-Control: public, max-age=31536000, immutable
/v1/kelisim.js
  Cache-Control: public, max-age=300
/v1/kelisim-prove.js
  Cache-Control: public, max-age=300
/dashboard
  Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'
  X-Frame-Options: DENY
/dashboard/*
  Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'
  X-Frame-Options: DENY
EOF

size() { wc -c < "$1" | tr -d ' '; }
br() { brotli -c -q 11 "$1" | wc -c | tr -d ' '; }
js="$DIST/v1/kelisim.js"
wasm="$DIST/v1/assets/$wasm_name"
total_br=$(($(br "$js") + $(br "$wasm")))
printf 'widget: %-34s %7s bytes raw %6s brotli\n' "v1/kelisim.js" "$(size "$js")" "$(br "$js")" >&2
printf 'widget: %-34s %7s bytes raw %6s brotli\n' "v1/assets/$wasm_name" "$(size "$wasm")" "$(br "$wasm")" >&2
printf 'widget: total %s bytes brotli (budget %s)\n' "$total_br" "$BUDGET_BYTES" >&2
# The ten largest functions of the shipped code (bytes of their bodies, from the named copy): where
# the wasm's size goes. A dependency-free reader of the code and name sections (what
# `twiggy top` reports, without installing it).
node - "$tmp/kelisim.named.wasm" "$(size "$wasm")" <<'EOF' >&2
const fs = require('fs');
const [file, shipped] = process.argv.slice(2);
const b = fs.readFileSync(file);
let at = 8;
const leb = () => { let v = 0, shift = 0, byte; do { byte = b[at++]; v += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80); return v; };
const str = () => { const n = leb(); const s = b.toString('utf8', at, at + n); at += n; return s; };
let imported = 0, bodies = [], names = new Map(), sections = [];
while (at < b.length) {
  const id = b[at++], len = leb(), end = at + len;
  if (id === 2) {
    for (let n = leb(); n > 0; n--) {
      str(); str();
      const kind = b[at++];
      if (kind === 0) { leb(); imported++; } else if (kind === 1) { at++; const f = b[at++]; leb(); if (f & 1) leb(); }
      else if (kind === 2) { const f = b[at++]; leb(); if (f & 1) leb(); } else if (kind === 3) { at += 2; } else { at++; leb(); }
    }
  } else if (id === 10) {
    for (let n = leb(), i = 0; i < n; i++) { const size = leb(); bodies.push([imported + i, size]); at += size; }
  } else if (id === 0 && str() === 'name') {
    while (at < end) {
      const sub = b[at++], subLen = leb(), subEnd = at + subLen;
      if (sub === 1) for (let n = leb(); n > 0; n--) { const idx = leb(); names.set(idx, str()); }
      at = subEnd;
    }
  }
  sections.push([id, len]);
  at = end;
}
const code = bodies.reduce((a, [, s]) => a + s, 0);
const data = sections.filter(([id]) => id === 11).reduce((a, [, l]) => a + l, 0);
console.log(`widget: wasm ${shipped} bytes: code ${code} in ${bodies.length} functions, data ${data}; largest functions:`);
for (const [idx, size] of bodies.sort((x, y) => y[1] - x[1]).slice(0, 10)) {
  const name = (names.get(idx) || `func${idx}`).replace(/::h[0-9a-f]{16}$/, '');
  console.log(`widget: ${String(size).padStart(7)} B ${(100 * size / code).toFixed(1).padStart(5)} %  ${name.length > 100 ? name.slice(0, 97) + '…' : name}`);
}
EOF
if [ "$total_br" -gt "$BUDGET_BYTES" ]; then
  echo "widget: WARNING: over the size budget by $((total_br - BUDGET_BYTES)) bytes" >&2
  if [ "${KELISIM_WIDGET_SIZE_STRICT:-0}" = 1 ]; then exit 1; fi
fi
