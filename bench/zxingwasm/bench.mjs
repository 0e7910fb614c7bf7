// zxing-wasm bench: zxing-cpp 3 (the zxing-wasm npm package, a test-only
// dependency of make bench, never part of the product) on a directory of
// 8-bit PGM frames, the same frames and output as bench/zxingcpp.
//
// usage: node bench.mjs [-reps N] [-v] DIR
// NODE_PATH must reach zxing-wasm (scripts/bench-decode.sh installs it into
// a cache directory). For every DIR/NAME.pgm, DIR/NAME.txt (if present)
// holds the expected text; a frame without one that yields any QR code is
// a false read. Prints: frames=N decoded=N expected=N false=N ms=F cpu_ms=F
// (ms wall, cpu_ms the process's CPU time, both per frame; node runs the
// decoder on one thread). -v adds one line per frame: NAME 0|1.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.env.NODE_PATH || process.cwd(), "x.js"));
const readerDir = require.resolve("zxing-wasm/reader").replace(/dist[\\/]cjs[\\/]reader[\\/]index\.js$/, "");
const { prepareZXingModule, readBarcodes } = await import(require.resolve("zxing-wasm/reader").replace(/cjs/, "es").replace(/\.js$/, ".js"));

let reps = 1, verbose = false, dir = "";
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
	if (args[i] === "-reps") reps = Math.max(1, parseInt(args[++i], 10) || 1);
	else if (args[i] === "-v") verbose = true;
	else dir = args[i];
}
if (!dir) {
	console.error("usage: node bench.mjs [-reps N] [-v] DIR");
	process.exit(2);
}
prepareZXingModule({
	overrides: { wasmBinary: readFileSync(join(readerDir, "dist", "reader", "zxing_reader.wasm")) },
	fireImmediately: true,
});

// readPGM returns the luminance as RGBA ImageData-like input.
function readPGM(path) {
	const b = readFileSync(path);
	const head = b.subarray(0, 64).toString("latin1");
	const m = head.match(/^P5\s+(\d+)\s+(\d+)\s+255\s/);
	if (!m) throw new Error(`bad PGM ${path}`);
	const w = +m[1], h = +m[2], off = m[0].length;
	const rgba = new Uint8ClampedArray(w * h * 4);
	for (let i = 0; i < w * h; i++) {
		const v = b[off + i];
		rgba[4 * i] = v; rgba[4 * i + 1] = v; rgba[4 * i + 2] = v; rgba[4 * i + 3] = 255;
	}
	return { data: rgba, width: w, height: h, colorSpace: "srgb" };
}

const opts = { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 };
const names = readdirSync(dir).filter((n) => n.endsWith(".pgm")).map((n) => n.slice(0, -4)).sort();
const frames = names.map((name) => {
	let want = null;
	try { want = readFileSync(join(dir, name + ".txt"), "latin1"); } catch {}
	return { name, img: readPGM(join(dir, name + ".pgm")), want };
});
let decoded = 0, expected = 0, falseReads = 0;
for (const f of frames) {
	const rs = (await readBarcodes(f.img, opts)).filter((r) => r.isValid);
	if (f.want !== null) {
		expected++;
		const ok = rs.some((r) => r.text === f.want);
		decoded += ok;
		if (verbose) console.log(`${f.name} ${ok ? 1 : 0}`);
	} else if (rs.length > 0) {
		falseReads++;
		if (verbose) console.log(`${f.name} false`);
	}
}
const cpu0 = process.cpuUsage(), t0 = process.hrtime.bigint();
for (let i = 0; i < reps; i++) for (const f of frames) await readBarcodes(f.img, opts);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const c = process.cpuUsage(cpu0), cpu = (c.user + c.system) / 1e3;
const n = Math.max(1, reps * frames.length);
console.log(`frames=${frames.length} decoded=${decoded} expected=${expected} false=${falseReads} ms=${(ms / n).toFixed(4)} cpu_ms=${(cpu / n).toFixed(4)}`);
