# The README's commands. Each installs what it needs (tools/install-deps.sh),
# configures with CMake presets, builds and runs.
.PHONY: run test bench bench-history bench-scale bench-health fuzz soak build release debug format check layering check-format tidy tsan clean

JOBS ?= $(shell nproc)

run: release
	./build/release/beacon serve

build release:
	@tools/install-deps.sh build
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target beacon

debug:
	@tools/install-deps.sh test
	cmake --preset debug >/dev/null
	cmake --build --preset debug -j $(JOBS)

# Unit, contract and end-to-end tests under ASan + UBSan. Ends with CTest's summary.
test: debug
	tools/run-tests.sh

bench:
	@tools/install-deps.sh bench
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)
	tools/bench.sh $(BENCH_ARGS)

# The version queries of issue 11 on a generated history (bench/history/README.md):
# generates the SQLite and PostgreSQL databases once per size under
# build/bench-history/ (minutes at the default 10 M events, 1 M actors), then
# times the queries in SQL and over HTTP; results in bench/results/history-*.
EVENTS ?= 10000000
ACTORS ?= 1000000
DAYS ?= 30
bench-history:
	@tools/install-deps.sh test
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target beacon
	python3 bench/history/measure.py --auto --events $(EVENTS) --actors $(ACTORS) --days $(DAYS) $(HISTORY_ARGS)

# Costs as data grows (issue 15, bench/history/README.md): bench-history's
# generation and version queries, then bytes on disk per stored event by
# index (storage.py) and the jobs, startup and events pages on the same
# databases (growth.py), and the cleanup job dropping a month on a copy of
# each (cleanup.py; about 13 GiB of free disk at the default size); results
# in bench/results/{history,storage,growth,cleanup}-*. About 10 minutes once
# the databases exist; generating them first takes about 6 more (152 s
# SQLite, 225 s PostgreSQL at the default size). Last, the nightly DAU job on
# a day of about 1 M session starts: a second history of DAU_DAY_EVENTS
# events over two days (generated once, about as long again), growth.py
# --jobs-only on it.
DAU_DAY_EVENTS ?= 10000000
bench-scale: bench-history
	python3 bench/history/storage.py --events $(EVENTS) --actors $(ACTORS) --days $(DAYS)
	python3 bench/history/growth.py --events $(EVENTS) --actors $(ACTORS) --days $(DAYS)
	python3 bench/history/cleanup.py --events $(EVENTS) --actors $(ACTORS) --days $(DAYS)
	python3 bench/history/measure.py --auto --generate-only --events $(DAU_DAY_EVENTS) --actors $(ACTORS) --days 2
	python3 bench/history/growth.py --jobs-only --events $(DAU_DAY_EVENTS) --actors $(ACTORS) --days 2

# Release health of issue 12 (bench/history/README.md): a version and its
# control with SESSIONS session starts each (default 1 M) in the window,
# generated once under build/bench-history/health-*, then
# GET /admin/versions/{id}/health timed on both databases; results in
# bench/results/health-*.
SESSIONS ?= 1000000
bench-health:
	@tools/install-deps.sh test
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target beacon
	python3 bench/history/health.py --sessions $(SESSIONS) $(HEALTH_ARGS)

# libFuzzer harnesses of every parser that takes untrusted bytes (fuzz/,
# docs/RELIABILITY.md): built by clang 14 with ASan + UBSan in build/fuzz,
# seeded by fuzz/make_corpus.py, FUZZ_SECONDS each (default 180) or FUZZ_RUNS
# executions, whichever comes first, FUZZ_JOBS at a time. Report in
# build/fuzz/report.md.
fuzz:
	@tools/install-deps.sh fuzz
	tools/fuzz.sh $(FUZZ_ARGS)

# The soak under faults (tests/soak/soak.py, docs/RELIABILITY.md): a mixed
# load on the release build in both modes while Beacon is SIGKILLed, the
# peers restart and the data dir fills up; SOAK_MINUTES per mode (default 3).
SOAK_MINUTES ?= 3
soak:
	@tools/install-deps.sh test
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target beacon
	python3 tests/soak/soak.py --minutes $(SOAK_MINUTES) $(SOAK_ARGS)

format:
	find src tests bench fuzz -name '*.cpp' -o -name '*.hpp' | xargs clang-format-14 -i

# Source checks (no build): the dependency rule of docs/ARCHITECTURE.md on the
# includes (with the checker's own self-test), and .clang-format.
check: layering check-format

layering:
	@tools/install-deps.sh check
	tools/check-layering.py --self-test
	tools/check-layering.py

check-format:
	@tools/install-deps.sh check
	tools/check-format.sh

# clang-tidy with .clang-tidy's checks over src/. Not in .ci/run: it takes
# minutes of its own on 2 cores (see tools/check-tidy.sh).
tidy:
	@tools/install-deps.sh check
	tools/check-tidy.sh

# ThreadSanitizer over the concurrent parts' unit tests (build/tsan).
tsan:
	@tools/install-deps.sh build
	tools/run-tsan.sh

clean:
	rm -rf build
