# CorralOS: the commands a newcomer and CI run.
#   make            install build dependencies, build everything (build/)
#   make test       make dist, then every CTest label (unit, privileged, vm), the same
#                   under ASan+UBSan but vm, then the fuzzers briefly
#   make asan       build and test with AddressSanitizer + UBSan (build-asan/)
#   make fuzz       build the libFuzzer targets with clang and run each for FUZZ_SECONDS
#   make bench      run every benchmark under bench/ against its peers (needs root)
#   make dist       the above build, then the bootable artifacts in dist/: vmlinuz, initrd,
#                   corralos.iso, corralos.ipxe, images.cpio, build-info (tools/build-dist.sh)
#   make run        make dist, then boot it in QEMU on this terminal (tools/qemu-run.sh);
#                   MEM=1024 SSH_PORT=2222 CLOUD_CONFIG=file APPEND="..." DISK=file
#                   DISK_SIZE=4G BOOT=iso CORRAL_ACCEL=kvm|tcg|auto

BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
JOBS ?= $(shell nproc)

.PHONY: all deps build test asan fuzz bench dist run clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

# The VM tests (label vm) boot dist/, so test builds it first.
test: dist
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory asan
	$(MAKE) --no-print-directory fuzz

$(ASAN_BUILD)/build.ninja: | deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCORRAL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE vm

$(FUZZ_BUILD)/build.ninja: | deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCORRAL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo

fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) -j $(JOBS) fuzzers
	cd $(FUZZ_BUILD) && CORRAL_FUZZ_SECONDS=$(FUZZ_SECONDS) ctest --output-on-failure -L fuzz

bench: build
	bench/image_load/run.sh $(BUILD)
	bench/container_start/run.sh $(BUILD)
	bench/api/run.sh $(BUILD)
	bench/boot/run.sh $(BUILD)

dist: build
	tools/build-dist.sh $(BUILD)

run: dist
	tools/qemu-run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
