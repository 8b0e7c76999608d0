#!/usr/bin/env bash
# Renders a bench HTML report in headless Chromium and checks the screenshot shows the report: the PNG exists,
# is not blank, contains the percentile curves' colours, and each measure's curve is in a panel of its own
# (the pixel rows of the curves do not overlap).
#
#   scripts/render_html_check.sh [REPORT.html [OUT.png]]
#
# Without REPORT.html it renders the built-in sample report (src/report/sample.ts). Installs Debian's chromium
# through scripts/install_chromium.sh when missing. Exit 0 when the check passes, 1 otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

work=$(mktemp -d "${TMPDIR:-/tmp}/fixg_render_check.XXXXXX")
trap 'rm -rf "$work"' EXIT

html=${1:-}
out=${2:-"${TMPDIR:-/tmp}/fixg_render_check.png"}

if ! command -v chromium >/dev/null 2>&1; then
  echo "render_html_check: chromium not found; installing it with scripts/install_chromium.sh"
  if ! bash scripts/install_chromium.sh; then
    echo "render_html_check: FAILED: chromium is not installed and could not be installed" >&2
    exit 1
  fi
fi

if [ -z "$html" ]; then
  html="$work/report.html"
  cat >"$work/gen.ts" <<EOF
import { renderHtmlReport, sampleBenchReport } from "$here/src/report/mod.ts";
Deno.writeTextFileSync("$html", renderHtmlReport(sampleBenchReport()));
EOF
  ./deno run --config "$here/deno.json" --allow-write="$html" "$work/gen.ts"
fi
if [ ! -s "$html" ]; then
  echo "render_html_check: FAILED: no HTML at $html" >&2
  exit 1
fi
html_abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")

rm -f "$out"
# --no-sandbox: Chromium refuses to run as root with its sandbox; the page is our own static file.
timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
  --no-first-run --no-default-browser-check --user-data-dir="$work/profile" \
  --window-size=1000,2200 --screenshot="$out" "file://$html_abs" >"$work/chromium.log" 2>&1 || true
if [ ! -s "$out" ]; then
  echo "render_html_check: FAILED: chromium wrote no screenshot; its output:" >&2
  tail -20 "$work/chromium.log" >&2
  exit 1
fi

# Decode the PNG (8-bit RGB/RGBA, non-interlaced, as Chromium writes it) and look at the pixels.
cat >"$work/check_png.ts" <<'EOF'
import { inflateSync } from "node:zlib";
const [path] = Deno.args;
const png = Deno.readFileSync(path!);
const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
const signature = [137, 80, 78, 71, 13, 10, 26, 10];
if (!signature.every((b, i) => png[i] === b)) throw new Error("not a PNG file");
let width = 0, height = 0, colorType = 0, bitDepth = 0, interlace = 0;
const idat: Uint8Array[] = [];
for (let at = 8; at < png.length;) {
  const len = view.getUint32(at);
  const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
  const data = png.subarray(at + 8, at + 8 + len);
  if (type === "IHDR") {
    const d = new DataView(data.buffer, data.byteOffset, data.byteLength);
    width = d.getUint32(0); height = d.getUint32(4); bitDepth = data[8]!; colorType = data[9]!; interlace = data[12]!;
  } else if (type === "IDAT") idat.push(data);
  at += 12 + len;
}
if (bitDepth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0) {
  throw new Error(`unsupported PNG layout: depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}`);
}
const bpp = colorType === 6 ? 4 : 3;
const raw = new Uint8Array(inflateSync(Buffer.concat(idat)));
const stride = width * bpp;
const px = new Uint8Array(height * stride);
for (let y = 0; y < height; y++) {
  const filter = raw[y * (stride + 1)]!;
  const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
  const row = px.subarray(y * stride, (y + 1) * stride);
  const prev = y > 0 ? px.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
  for (let x = 0; x < stride; x++) {
    const a = x >= bpp ? row[x - bpp]! : 0, b = prev[x]!, c = x >= bpp ? prev[x - bpp]! : 0;
    let v = src[x]!;
    if (filter === 1) v += a;
    else if (filter === 2) v += b;
    else if (filter === 3) v += (a + b) >> 1;
    else if (filter === 4) {
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    row[x] = v & 255;
  }
}
const curves: Record<string, [number, number, number]> = {
  "orderToAck (blue)": [0x1f, 0x77, 0xb4],
  "orderToFill (red)": [0xd6, 0x27, 0x28],
  "cancelToAck (green)": [0x2c, 0xa0, 0x2c],
};
const found: Record<string, number> = Object.fromEntries(Object.keys(curves).map((k) => [k, 0]));
const rows: Record<string, [number, number]> = Object.fromEntries(Object.keys(curves).map((k) => [k, [1e9, -1]]));
let nonWhite = 0;
const colours = new Set<number>();
for (let i = 0; i < px.length; i += bpp) {
  const r = px[i]!, g = px[i + 1]!, b = px[i + 2]!;
  if (r < 245 || g < 245 || b < 245) nonWhite++;
  colours.add((r << 16) | (g << 8) | b);
  for (const [name, [cr, cg, cb]] of Object.entries(curves)) {
    if (Math.abs(r - cr) + Math.abs(g - cg) + Math.abs(b - cb) < 30) {
      found[name]!++;
      const y = Math.floor(i / bpp / width);
      rows[name]![0] = Math.min(rows[name]![0], y);
      rows[name]![1] = Math.max(rows[name]![1], y);
    }
  }
}
const total = width * height;
const pct = (100 * nonWhite) / total;
const missing = Object.entries(found).filter(([, n]) => n < 50).map(([k]) => k);
console.log(
  `${width}x${height}, ${pct.toFixed(1)}% non-white pixels, ${colours.size} colours, curve pixels: ` +
    Object.entries(found).map(([k, n]) => `${k} ${n}`).join(", "),
);
if (pct < 1) throw new Error("the screenshot is blank");
if (colours.size < 16) throw new Error("the screenshot has almost no colours: nothing rendered");
if (missing.length > 0) throw new Error(`percentile curve not visible: ${missing.join(", ")}`);
// One panel per measure: the rows the curves (and their legends) occupy are disjoint, in report order. The
// throughput timeline below uses blue and green too, so only the upper part is compared: each curve's rows
// from its first pixel to the next curve's first pixel.
const firsts = Object.entries(rows).map(([k, [a]]) => [k, a] as const);
for (let i = 1; i < firsts.length; i++) {
  if (!(firsts[i]![1] > firsts[i - 1]![1] + 100)) {
    throw new Error(`the percentile curves share one panel: ${firsts.map(([k, a]) => `${k} from row ${a}`).join(", ")}`);
  }
}
console.log(`panels: ${firsts.map(([k, a]) => `${k} from row ${a}`).join(", ")}`);
EOF
if ! summary=$(./deno run --no-config --allow-read="$out" "$work/check_png.ts" "$out" 2>&1); then
  echo "render_html_check: FAILED: $summary" >&2
  exit 1
fi
echo "render_html_check: OK: $out: $summary"
