# gasang build. `make` builds build/gasang; `make test` installs what is
# missing, builds, and runs every test; `make demo` boots the default guest.

BUILD    ?= build
CC       ?= gcc
OPT      ?= -O2
WARN     := -Wall -Wextra -Werror
CFLAGS   := -std=gnu11 $(WARN) -D_GNU_SOURCE -I. -g -pthread -MMD -MP
LIBS     := -lfdt -lpng -lslirp -lmnl -lz -lzstd -ljansson -lseccomp -lcap -lsqlite3 -larchive -lm -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# The emulator's JIT emits code for the host it runs on: accel/emu/jit-$(HOST_ARCH).c
# where there is one; elsewhere every block is interpreted (accel/emu/jit.h).
HOST_ARCH ?= $(shell uname -m)
JIT_SRCS  := $(wildcard accel/emu/jit-$(HOST_ARCH).c)
ifneq ($(JIT_SRCS),)
CFLAGS    += -DEMU_JIT
endif

# The x86 PC runs on KVM, which runs guests of the host's own architecture.
ifeq ($(HOST_ARCH),x86_64)
KVM_SRCS  := $(wildcard accel/kvm/*.c machine/x86-*.c)
CFLAGS    += -DMACHINE_X86_PC
endif

LIB_SRCS  := $(sort $(filter-out accel/emu/jit-%.c machine/x86-%.c,$(wildcard base/*.c hw/*.c \
		hw/*/*.c net/*.c debug/*.c accel/emu/*.c machine/*.c vm/*.c block/*.c ctr/*.c client/*.c)) \
		$(JIT_SRCS) $(KVM_SRCS) $(filter-out daemon/main.c,$(wildcard daemon/*.c)))
CLIENT_SRCS := $(sort $(wildcard client/*.c)) base/fd-pass.c base/jsonl.c
CLI_SRCS  := $(sort $(wildcard cli/*.c))
UNIT_SRCS := $(sort $(shell find tests -name '*-test.c' 2>/dev/null))
ifneq ($(HOST_ARCH),x86_64)
UNIT_SRCS := $(filter-out tests/accel/kvm/% tests/machine/x86-%,$(UNIT_SRCS))
endif

LIB_OBJS      := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS      := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
LIB_OBJS_ASAN := $(LIB_SRCS:%.c=$(BUILD)/asan/obj/%.o)
UNIT_BINS      := $(UNIT_SRCS:tests/%.c=$(BUILD)/tests/%)
UNIT_BINS_ASAN := $(UNIT_SRCS:tests/%.c=$(BUILD)/asan/tests/%)

# Per-file extra flags: CFLAGS_<path/to/file.c> := ...
CFLAGS_accel/emu/fpu.c := -frounding-math -ffp-contract=off -fno-math-errno

.PHONY: all deps test unit guest-tests demo clean
# keep test objects between runs
.SECONDARY:
all: $(BUILD)/gasang $(BUILD)/gasang-oci $(BUILD)/gasangd $(BUILD)/libgasang-client.a

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(OPT) $(CFLAGS_$<) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O1 $(SAN) $(CFLAGS_$<) -c $< -o $@

$(BUILD)/libgasang.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/asan/libgasang.a: $(LIB_OBJS_ASAN)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/gasang: $(CLI_OBJS) $(BUILD)/libgasang.a
	$(CC) $(CFLAGS) $(OPT) -o $@ $(CLI_OBJS) $(BUILD)/libgasang.a $(LIBS)

# The VM manager (daemon/main.c over the library; docs/API.md).
$(BUILD)/gasangd: $(BUILD)/obj/daemon/main.o $(BUILD)/libgasang.a
	$(CC) $(CFLAGS) $(OPT) -o $@ $< $(BUILD)/libgasang.a $(LIBS)

# The API's client library for other programs: link -lgasang-client -ljansson (client/gasang-client.h).
$(BUILD)/libgasang-client.a: $(CLIENT_SRCS:%.c=$(BUILD)/obj/%.o)
	@rm -f $@
	ar rcs $@ $^

# The OCI runtime under its own name (what containerd is given as BinaryName).
$(BUILD)/gasang-oci: $(BUILD)/gasang
	ln -sf gasang $@

# Unit tests: cmocka programs under tests/, mirroring the source tree.
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/libgasang.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libgasang.a $(LIBS) -lcmocka -lmpfr -lgmp

$(BUILD)/asan/tests/%: $(BUILD)/asan/obj/tests/%.o $(BUILD)/asan/libgasang.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $< $(BUILD)/asan/libgasang.a $(LIBS) -lcmocka -lmpfr -lgmp

unit: $(UNIT_BINS) $(UNIT_BINS_ASAN)

# Bare-metal RISC-V test programs (tests/guests/riscv), built with the
# riscv64-unknown-elf cross compiler; x86 test guests (tests/guests/x86) with
# the host's gcc.
guest-tests:
	$(MAKE) -C tests/guests/riscv BUILD=$(abspath $(BUILD))/guest-tests/riscv
	$(MAKE) -C tests/guests/riscv-isa BUILD=$(abspath $(BUILD))/guest-tests/riscv
	$(MAKE) -C tests/guests/riscv-sbi BUILD=$(abspath $(BUILD))/guest-tests/riscv-sbi
ifeq ($(HOST_ARCH),x86_64)
	$(MAKE) -C tests/guests/x86 BUILD=$(abspath $(BUILD))/guest-tests/x86
endif

deps:
	@tools/deps

test: deps all unit fuzz guest-tests
	@tests/run $(BUILD)

demo: deps all
	guests/debian-riscv64/fetch $(BUILD)/guests/riscv64
	$(BUILD)/gasang run --arch riscv64 --mem 512M \
		--kernel $(BUILD)/guests/riscv64/vmlinux --initrd $(BUILD)/guests/riscv64/initrd.gz

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# libFuzzer target for the qcow2 open path (needs clang): $(BUILD)/fuzz/qcow2-fuzz.
# tests/block/qcow2-fuzz-test runs it for a bounded number of inputs.
FUZZ_CC    ?= clang
FUZZ_FLAGS := -std=gnu11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
	      -fno-sanitize-recover=undefined
FUZZ_SRCS  := tests/block/qcow2-fuzz.c $(wildcard block/*.c) base/error.c base/iov.c

.PHONY: fuzz
fuzz: $(BUILD)/fuzz/qcow2-fuzz $(BUILD)/fuzz/state-fuzz $(BUILD)/fuzz/virtio-gpu-fuzz

$(BUILD)/fuzz/qcow2-fuzz: $(FUZZ_SRCS) $(wildcard block/*.h base/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WARN) -o $@ $(FUZZ_SRCS) -lz -lzstd -lpthread

# What the virtio core (hw/virtio/virtio.c) links with outside libgasang:
# guest memory, saved state, and --trace virtio's formatting.
VIRTIO_FUZZ_SRCS := hw/virtio/virtio.c hw/guest-mem.c base/error.c base/iov.c base/state.c \
		    base/size.c debug/trace.c debug/trace-format.c accel/emu/disasm.c \
		    accel/emu/decode.c

# virtio-gpu's command parser; tests/hw/virtio/virtio-gpu-fuzz-test runs it.
GPU_FUZZ_SRCS := tests/hw/virtio/virtio-gpu-fuzz.c hw/virtio/virtio-gpu.c hw/display/edid.c \
		 $(VIRTIO_FUZZ_SRCS)

$(BUILD)/fuzz/virtio-gpu-fuzz: $(GPU_FUZZ_SRCS) $(wildcard hw/virtio/*.h hw/display/*.h hw/*.h base/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WARN) -o $@ $(GPU_FUZZ_SRCS) -lz -lpthread

# libFuzzer target for a state file's loading (vm/state.c and the devices' sections);
# tests/vm/state-fuzz-test runs it for a bounded number of inputs.
STATE_FUZZ_SRCS := tests/vm/state-fuzz.c vm/state.c hw/riscv/plic.c hw/riscv/aclint.c \
	hw/uart16550.c hw/virtio/virtio-mmio.c hw/virtio/virtio-rng.c hw/virtio/virtio-input.c \
	$(VIRTIO_FUZZ_SRCS)

$(BUILD)/fuzz/state-fuzz: $(STATE_FUZZ_SRCS) $(wildcard tests/vm/*.h vm/*.h hw/*.h hw/*/*.h base/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WARN) -o $@ $(STATE_FUZZ_SRCS) -lz -lpthread
