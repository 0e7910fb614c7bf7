#!/usr/bin/env bash
# bench-decode.sh: scangate's QR decoder beside zxing-cpp (Debian
# libzxing-dev) on the same synthetic 640×480 gray frames, in the same run.
# Times are CPU time of the decoding thread per frame (one core), so other
# work on the machine does not skew the ratio; wall times are shown too.
#
# The held-card set (camsim.HeldSet: cards as people hold them up) is read
# by scangate, zxing-cpp 1.4 and zxing-cpp 3 (the zxing-wasm npm package
# under node: a test-only dependency, installed into a cache directory,
# $SCANGATE_ZXING_WASM_DIR, default ~/.cache/scangate/zxing-wasm, never
# into the product). Its tuning half is what the decoder was tuned on; the
# check half, never looked at while tuning, is the target's yardstick; the
# 600 more tuning frames (three more seeds) show whether a change carries
# beyond the frames it was made on.
#
# usage: scripts/bench-decode.sh [FRAMES_PER_RUN]   (default 1000: shorter runs
# swing by 20% on a busy machine)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
tags=(-tags sqlite_omit_load_extension)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! pkg-config --exists zxing; then
	echo "bench-decode: libzxing-dev is missing (apt-get install -y libzxing-dev)" >&2
	exit 2
fi
read -r -a zxing_flags <<<"$(pkg-config --cflags --libs zxing)"
g++ -O2 -std=c++17 -o "$tmp/zxing-bench" bench/zxingcpp/main.cpp "${zxing_flags[@]}"

# The frames both decoders see: scanner's synthetic sets written as PGM.
SCANGATE_BENCH_FRAMES="$tmp/frames" go test "${tags[@]}" -count=1 -run '^TestWriteBenchFrames$' ./scanner >/dev/null

cards=$(find "$tmp/frames/card" -name '*.pgm' | wc -l)
empties=$(find "$tmp/frames/empty" -name '*.pgm' | wc -l)
zx_card=$("$tmp/zxing-bench" -reps $(( (n + cards - 1) / cards )) "$tmp/frames/card")
zx_empty=$("$tmp/zxing-bench" -reps $(( (n + empties - 1) / empties )) "$tmp/frames/empty")
go test "${tags[@]}" -count=1 -run '^$' -cpu 1 -benchmem -benchtime "${n}x" \
	-bench '^BenchmarkDecode(Card|Idle|EmptyFull)$' ./scanner >"$tmp/go.txt"

field() { sed -n "s/.*[ ^]$2=\([0-9.]*\).*/\1/p" <<<" $1"; }
metric() { awk -v b="$1" -v u="$2" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 2; i <= NF; i++) if ($i == u) print $(i-1) }' "$tmp/go.txt"; }

go_card=$(metric BenchmarkDecodeCard cpu-ms/frame)
go_card_wall=$(metric BenchmarkDecodeCard ms/frame)
go_card_dec=$(metric BenchmarkDecodeCard decoded)
go_card_allocs=$(metric BenchmarkDecodeCard allocs/op)
go_card_bytes=$(metric BenchmarkDecodeCard B/op)
go_idle=$(metric BenchmarkDecodeIdle cpu-ms/frame)
go_idle_wall=$(metric BenchmarkDecodeIdle ms/frame)
go_idle_allocs=$(metric BenchmarkDecodeIdle allocs/op)
go_empty=$(metric BenchmarkDecodeEmptyFull cpu-ms/frame)

printf '%-26s %12s %12s %8s\n' "frames ($n per run)" scangate zxing-cpp ratio
printf '%-26s %12.3f %12.3f %8.2f\n' "with a card, cpu ms/frame" "$go_card" "$(field "$zx_card" cpu_ms)" \
	"$(awk -v a="$go_card" -v b="$(field "$zx_card" cpu_ms)" 'BEGIN { print a / b }')"
printf '%-26s %12.3f %12.3f\n' "  wall ms/frame" "$go_card_wall" "$(field "$zx_card" ms)"
printf '%-26s %12.3f %12.3f %8.2f\n' "no code, cpu ms/frame" "$go_idle" "$(field "$zx_empty" cpu_ms)" \
	"$(awk -v a="$go_idle" -v b="$(field "$zx_empty" cpu_ms)" 'BEGIN { print a / b }')"
printf '%-26s %12.3f %12.3f\n' "  wall ms/frame" "$go_idle_wall" "$(field "$zx_empty" ms)"
printf '%-26s %12.3f %12s\n' "  every frame decoded" "$go_empty" "(idle check off)"
printf '%-26s %9s/%-3s %8s/%-3s\n' "synthetic cards decoded" "$go_card_dec" "$cards" "$(field "$zx_card" decoded)" "$cards"
printf 'scangate allocations per frame: %s with a card (%s B), %s without\n' "$go_card_allocs" "$go_card_bytes" "$go_idle_allocs"

# The held-card set beside zxing-cpp 1.4 and 3.
wasm_dir=${SCANGATE_ZXING_WASM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scangate/zxing-wasm}
wasm=
if command -v node >/dev/null && command -v npm >/dev/null; then
	if [ ! -f "$wasm_dir/node_modules/zxing-wasm/package.json" ] ||
		! grep -q '"version": "3.1.4"' "$wasm_dir/node_modules/zxing-wasm/package.json"; then
		mkdir -p "$wasm_dir"
		npm install --silent --no-save --no-audit --no-fund --prefix "$wasm_dir" zxing-wasm@3.1.4 >&2 || true
	fi
	[ -f "$wasm_dir/node_modules/zxing-wasm/package.json" ] && wasm=1
fi
[ -n "$wasm" ] || echo "bench-decode: node/npm or zxing-wasm missing (bash scripts/install-deps.sh --test): zxing-cpp 3 column n/a" >&2
zx3() { # dir → the zxing-wasm line, or empty
	[ -n "$wasm" ] && NODE_PATH="$wasm_dir/node_modules" node bench/zxingwasm/bench.mjs "$@"
}
go test "${tags[@]}" -count=1 -run '^$' -cpu 1 -benchmem -benchtime 200x -bench '^BenchmarkDecodeHeld/(tune|check|empty)$' ./scanner >"$tmp/held.txt"
go test "${tags[@]}" -count=1 -run '^$' -cpu 1 -benchmem -benchtime 600x -bench '^BenchmarkDecodeHeld/more$' ./scanner >>"$tmp/held.txt"
hmetric() { awk -v b="$1" -v u="$2" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 2; i <= NF; i++) if ($i == u) print $(i-1) }' "$tmp/held.txt"; }
printf '\n%-30s %10s %12s %12s %9s %9s\n' "held cards (camsim.HeldSet)" scangate "zxing-cpp1.4" "zxing-cpp3" "vs 1.4" "vs 3"
for half in tune check more; do
	n_half=$(find "$tmp/frames/held-$half" -name '*.pgm' | wc -l)
	go_n=$(hmetric "BenchmarkDecodeHeld/$half" decoded)
	go_ms=$(hmetric "BenchmarkDecodeHeld/$half" cpu-ms/frame)
	z1=$("$tmp/zxing-bench" -reps 1 "$tmp/frames/held-$half")
	z3=$(zx3 -reps 1 "$tmp/frames/held-$half" || true)
	z1n=$(field "$z1" decoded) z3n=$(field "$z3" decoded)
	label="$half half, decoded"
	[ "$half" = more ] && label="600 more tuning, decoded"
	printf '%-30s %6s/%-3s %8s/%-3s %8s/%-3s %9s %9s\n' "$label" "${go_n%.*}" "$n_half" "$z1n" "$n_half" "${z3n:-n/a}" "$n_half" \
		"$(awk -v a="$go_n" -v b="$z1n" 'BEGIN { if (b > 0) printf "%.2f", a / b }')" \
		"$(awk -v a="$go_n" -v b="$z3n" 'BEGIN { if (b > 0) printf "%.2f", a / b }')"
	printf '%-30s %10.3f %12.3f %12s %9s\n' "  cpu ms/frame" "$go_ms" "$(field "$z1" cpu_ms)" "$(field "$z3" cpu_ms)" \
		"$(awk -v a="$go_ms" -v b="$(field "$z1" cpu_ms)" 'BEGIN { if (b > 0) printf "%.2f", a / b }')"
done
n_empty=$(find "$tmp/frames/held-empty" -name '*.pgm' | wc -l)
z1=$("$tmp/zxing-bench" -reps 5 "$tmp/frames/held-empty")
z3=$(zx3 -reps 1 "$tmp/frames/held-empty" || true)
printf '%-30s %6s/%-3s %8s/%-3s %8s/%-3s\n' "no code, false reads" "$(hmetric BenchmarkDecodeHeld/empty false | cut -d. -f1)" "$n_empty" \
	"$(field "$z1" false)" "$n_empty" "$(field "$z3" false)" "$n_empty"
printf '%-30s %10.3f %12.3f %12s %9s\n' "  changing scene, cpu ms/frame" "$(hmetric BenchmarkDecodeHeld/empty cpu-ms/frame)" "$(field "$z1" cpu_ms)" "$(field "$z3" cpu_ms)" "≤ 0.3"
