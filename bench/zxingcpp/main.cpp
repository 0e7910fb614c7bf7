// zxing-bench: times zxing-cpp (Debian libzxing-dev, 1.4 API) on a
// directory of 8-bit PGM frames, the reference scripts/bench-decode.sh
// compares scangate's decoder against.
//
// usage: zxing-bench [-reps N] [-v] DIR   (-v: one line per frame, NAME 0|1)
// For every DIR/NAME.pgm, DIR/NAME.txt (if present) holds the expected
// text. Frames are loaded first; only ReadBarcode is timed, one thread.
// A frame without a .txt that yields a code is a false read.
// Prints one line: frames=N decoded=N expected=N false=N ms=F cpu_ms=F
// (ms is wall time, cpu_ms the thread's CPU time, both per frame).
#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

struct Frame {
	std::string name;
	int w = 0, h = 0;
	std::vector<uint8_t> pix;
	std::string want;
	bool hasWant = false;
};

static bool readPGM(const std::string& path, Frame& f)
{
	std::ifstream in(path, std::ios::binary);
	std::string magic;
	int maxval = 0;
	in >> magic >> f.w >> f.h >> maxval;
	if (!in || magic != "P5" || maxval != 255 || f.w <= 0 || f.h <= 0)
		return false;
	in.get(); // the single whitespace byte before the raster
	f.pix.resize(size_t(f.w) * f.h);
	in.read(reinterpret_cast<char*>(f.pix.data()), f.pix.size());
	return bool(in);
}

int main(int argc, char** argv)
{
	int reps = 1;
	bool verbose = false;
	std::string dir;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-reps") && i + 1 < argc)
			reps = std::max(1, atoi(argv[++i]));
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else
			dir = argv[i];
	}
	if (dir.empty()) {
		fprintf(stderr, "usage: zxing-bench [-reps N] DIR\n");
		return 2;
	}
	std::vector<std::string> names;
	if (DIR* d = opendir(dir.c_str())) {
		while (dirent* e = readdir(d)) {
			std::string n = e->d_name;
			if (n.size() > 4 && n.compare(n.size() - 4, 4, ".pgm") == 0)
				names.push_back(n.substr(0, n.size() - 4));
		}
		closedir(d);
	} else {
		fprintf(stderr, "zxing-bench: cannot open %s\n", dir.c_str());
		return 2;
	}
	std::sort(names.begin(), names.end());
	std::vector<Frame> frames;
	for (auto& n : names) {
		Frame f;
		f.name = n;
		if (!readPGM(dir + "/" + n + ".pgm", f)) {
			fprintf(stderr, "zxing-bench: bad PGM %s\n", n.c_str());
			return 2;
		}
		std::ifstream t(dir + "/" + n + ".txt", std::ios::binary);
		if (t) {
			std::stringstream ss;
			ss << t.rdbuf();
			f.want = ss.str();
			f.hasWant = true;
		}
		frames.push_back(std::move(f));
	}

	ZXing::DecodeHints hints;
	hints.setFormats(ZXing::BarcodeFormat::QRCode);

	int decoded = 0, expected = 0, falseReads = 0;
	for (auto& f : frames) {
		auto r = ZXing::ReadBarcode({f.pix.data(), f.w, f.h, ZXing::ImageFormat::Lum}, hints);
		if (f.hasWant) {
			expected++;
			bool ok = r.isValid() && r.text() == f.want;
			decoded += ok;
			if (verbose)
				printf("%s %d\n", f.name.c_str(), int(ok));
		} else if (r.isValid()) {
			falseReads++;
			if (verbose)
				printf("%s false\n", f.name.c_str());
		}
	}
	auto threadCPU = [] {
		timespec ts{};
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
	};
	double cpu0 = threadCPU();
	auto start = std::chrono::steady_clock::now();
	size_t sink = 0;
	for (int i = 0; i < reps; i++)
		for (auto& f : frames)
			sink += ZXing::ReadBarcode({f.pix.data(), f.w, f.h, ZXing::ImageFormat::Lum}, hints).text().size();
	double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
	double cpu = threadCPU() - cpu0;
	double n = frames.empty() ? 1.0 : double(reps) * frames.size();
	printf("frames=%zu decoded=%d expected=%d false=%d ms=%.4f cpu_ms=%.4f\n", frames.size(), decoded, expected, falseReads, ms / n,
	    cpu / n);
	return sink == size_t(-1);
}
