# The two commands of the README: `make demo` (the main job) and `make test`;
# `make bench` measures the product against its CPU peers (not part of `make test`).
# Each sets up a fresh Debian machine itself (scripts/setup.sh).
# Tests run one at a time: many start worker processes and brokers, and on 2 cores
# suites run side by side starve each other (Swift's cooperative pool has 2 threads).

SHARED ?= $(abspath ../shared)
export REALIGN_FIXTURES ?= $(SHARED)/fixtures
export REALIGN_DATA ?= $(SHARED)/data
export REALIGN_MODEL ?= $(abspath models/SmolLM2-135M-Instruct.Q4_1.gguf)

.PHONY: setup build test demo bench fuzz clean

setup:
	scripts/setup.sh

build: setup

# The tests compare what they compute in-process with what the worker processes they
# start reply, bit for bit, so they load the OpenBLAS kernels the executables restart
# with (OpenBLASKernels: OpenBLAS names them on stderr with OPENBLAS_VERBOSE=2).
test: setup
	swift build -c release
	OPENBLAS_CORETYPE=$$(OPENBLAS_VERBOSE=2 .build/release/realign --help 2>&1 >/dev/null | sed -n 's/^Core: //p' | tail -n 1) \
		swift test -c release --disable-xctest --no-parallel
	scripts/test-second-broker.sh

demo: setup
	scripts/demo.sh

# Our figures and the peers' (PyTorch, llama.cpp; installed into .build/bench-venv),
# side by side in bench/RESULTS.md and bench/results.json.
bench: setup
	scripts/bench.sh

# libFuzzer on the job decoder, GGUF, safetensors and tokenizer readers (FUZZ_SECONDS each).
fuzz: setup
	scripts/fuzz.sh

clean:
	rm -rf .build out
