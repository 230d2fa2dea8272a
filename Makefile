# Entry points: `make demo` and `make test` set up a fresh Debian 12 machine
# (as root), build, and run. Everything else is CMake in $(BUILD).
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps venv configure build demo test bench install clean

all: build

deps:
	@sh scripts/setup.sh

venv:
	@BUILD=$(BUILD) sh scripts/setup.sh --venv

configure:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# Compiles the bundled example model with dlcc (through dlcc_add_model) and classifies a picture.
demo: build
	$(BUILD)/examples/classify/classify examples/classify/sample.ppm examples/classify/labels.txt

# Unit tests, model tests against onnxruntime, the model zoo, the example and the install test.
test: deps venv configure
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# dlcc vs onnxruntime at 1 and 2 threads, table to bench/results/ (see bench/README.md).
# Not part of `make test`. Options: make bench BENCH_ARGS="--quick --models squeezenet,mobilenetv2"
bench: deps venv configure
	cmake --build $(BUILD) -j $(JOBS)
	$(BUILD)/venv/bin/python bench/run_bench.py --dlcc $(BUILD)/dlcc $(BENCH_ARGS)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD)
