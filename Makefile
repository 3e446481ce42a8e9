# The README's commands. Each installs what it needs (tools/install-deps.sh),
# configures with CMake presets, builds and runs.
.PHONY: run test bench build release debug format clean

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

format:
	find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
