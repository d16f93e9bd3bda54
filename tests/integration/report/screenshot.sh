#!/usr/bin/env bash
# Real-browser check of the resilience report: render the sample results, take a headless
# Chromium screenshot and check it is a PNG of the requested size that shows the page (not a
# blank or an error page). Exit 77 (ctest: skipped) when Chromium is not installed.
#   screenshot.sh REPORT_BIN RESULTS_DIR OUT_DIR
set -euo pipefail

report_bin=$1
results_dir=$2
out_dir=$3
width=1280
height=3000

browser=""
for candidate in chromium chromium-browser; do
  if command -v "$candidate" >/dev/null 2>&1; then browser=$candidate; break; fi
done
if [ -z "$browser" ]; then
  echo "screenshot: chromium not installed (scripts/setup.sh installs it): skipped"
  exit 77
fi

rm -rf "$out_dir"
mkdir -p "$out_dir/home"
out_dir=$(cd "$out_dir" && pwd)
"$report_bin" "$results_dir" --out "$out_dir/report.html"

# Chromium writes its profile and crash database under HOME: keep both inside OUT_DIR.
HOME="$out_dir/home" timeout 45 "$browser" --headless --no-sandbox --disable-gpu \
  --no-first-run --disable-extensions --disable-dev-shm-usage --hide-scrollbars \
  --run-all-compositor-stages-before-draw --virtual-time-budget=3000 \
  --user-data-dir="$out_dir/home/profile" \
  --screenshot="$out_dir/report.png" --window-size=$width,$height \
  "file://$out_dir/report.html" >"$out_dir/chromium.log" 2>&1 || {
  echo "screenshot: chromium failed (exit $?); its log:"
  tail -n 20 "$out_dir/chromium.log"
  exit 1
}

python3 - "$out_dir/report.png" $width $height <<'PY'
import struct, sys, zlib

path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
def fail(msg):
    print("screenshot: %s: %s" % (path, msg)); sys.exit(1)

if data[:8] != b"\x89PNG\r\n\x1a\n":
    fail("not a PNG (bad signature)")
length, kind = struct.unpack(">I4s", data[8:16])
if kind != b"IHDR" or length != 13:
    fail("first chunk is not IHDR")
w, h, depth, color = struct.unpack(">IIBB", data[16:26])
if (w, h) != (want_w, want_h):
    fail("size %dx%d, expected %dx%d" % (w, h, want_w, want_h))
if depth != 8 or color not in (2, 6):
    fail("unexpected PNG format (depth %d, colour type %d)" % (depth, color))
if len(data) < 60_000:
    fail("only %d bytes: looks blank" % len(data))

# Decode the image data (all IDAT chunks) and undo the filters of the top rows: the header
# must show the overall verdict as a red FAIL badge (#cf222e) on the page.
idat, pos = b"", 8
while pos < len(data):
    n, t = struct.unpack(">I4s", data[pos:pos + 8])
    if t == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = 4 if color == 6 else 3
stride = w * bpp
rows = 200
prev = bytearray(stride)
pixels = []
for y in range(rows):
    base = y * (stride + 1)
    ftype = raw[base]
    line = bytearray(raw[base + 1:base + 1 + stride])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if ftype == 1: line[i] = (line[i] + a) & 255
        elif ftype == 2: line[i] = (line[i] + b) & 255
        elif ftype == 3: line[i] = (line[i] + ((a + b) >> 1)) & 255
        elif ftype == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    pixels.append(line)
    prev = line
red = colours = 0
seen = set()
for line in pixels:
    for x in range(0, stride, bpp):
        r, g, b = line[x], line[x + 1], line[x + 2]
        seen.add((r, g, b))
        if abs(r - 0xcf) < 12 and abs(g - 0x22) < 12 and abs(b - 0x2e) < 12:
            red += 1
if len(seen) < 20:
    fail("only %d distinct colours in the header: blank page?" % len(seen))
if red < 2000:
    fail("no red FAIL badge in the header (%d red pixels)" % red)
print("screenshot: %s: %dx%d PNG, %d bytes, %d colours and %d verdict-red pixels in the header"
      % (path, w, h, len(data), len(seen), red))
PY
