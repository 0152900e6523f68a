#!/usr/bin/env bash
# Saves a screenshot of the real Cuewire editor, with the demo programme on the meters.
#
#   scripts/screenshot.sh [output.png]          (default: docs/screenshot.png)
#
# Builds the standalone app (feature `standalone`), starts it under Xvfb on the dummy audio
# backend with CUEWIRE_DEMO=1 (synthetic programme: tones, noise, 50 Hz hum on both legs of the
# balanced pairs, and an over every 4 s that lights the clip LEDs), waits for the meters to
# settle and captures the window with ImageMagick's `import`.
# Needs: xvfb, imagemagick, x11-utils (xwininfo), libjack-jackd2-dev, libasound2-dev.
# Optional environment: CUEWIRE_LAYOUT (audio layout index, 1-based, default 5 = balanced pairs + 4 cues),
# CUEWIRE_VIEW (detail or big), CUEWIRE_UI_SCALE (0.75..2.0) and CUEWIRE_EDITOR_SIZE (e.g. 880x600, logical pixels),
# CUEWIRE_SHOT_WAIT_S (seconds to wait before capturing, default 9).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/screenshot.png}
layout=${CUEWIRE_LAYOUT:-5}
wait_s=${CUEWIRE_SHOT_WAIT_S:-9}
target=${CARGO_TARGET_DIR:-target}

cargo build -p cuewire --features standalone --bin cuewire-standalone
bin="$target/debug/cuewire-standalone"

display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 2400x1500x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
app_pid=""
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
  kill "$xvfb_pid" 2>/dev/null || true
}
trap cleanup EXIT
sleep 1

DISPLAY="$display" CUEWIRE_DEMO=1 "$bin" --backend dummy --audio-layout "$layout" \
  >/tmp/cuewire-standalone.log 2>&1 &
app_pid=$!
sleep "$wait_s"
kill -0 "$app_pid" 2>/dev/null || { echo "standalone exited; see /tmp/cuewire-standalone.log" >&2; exit 1; }

# The editor window is the one titled "Cuewire"; fall back to the whole screen.
win=$(DISPLAY="$display" xwininfo -root -tree | awk '/"Cuewire"/ {print $1; exit}')
mkdir -p "$(dirname "$out")"
if [ -n "$win" ]; then
  DISPLAY="$display" import -window "$win" "$out"
else
  DISPLAY="$display" import -window root -trim "$out"
fi
echo "saved $out ($(identify -format '%wx%h' "$out"))"
