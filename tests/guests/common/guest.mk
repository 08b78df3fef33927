# What both guest suites' Makefiles share: the cross compiler, and the
# runtime in this directory (checks, printf, traps, run_in_mode(), page
# tables), compiled with each suite's CFLAGS into $(BUILD)/obj/common/.
# Set BUILD and RUNTIME_PRV (the privilege the runtime runs at: PRV_M or
# PRV_S) before including it; then put $(RUNTIME) in CFLAGS and ASFLAGS and
# link $(COMMON_OBJS). Each object is followed by $(check_relocs), which a
# suite may define to vet it.

CROSS  ?= riscv64-unknown-elf-
CC     := $(CROSS)gcc

ifeq ($(shell command -v $(CC) 2>/dev/null),)
$(error $(CC) not found: install gcc-riscv64-unknown-elf (tools/deps does))
endif

COMMON      := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
RUNTIME     := -Ilib -I$(COMMON) -DRUNTIME_PRV=$(RUNTIME_PRV)
COMMON_OBJS := $(addprefix $(BUILD)/obj/common/,check.o libc.o print.o trap.o vm.o)

$(BUILD)/obj/common/%.o: $(COMMON)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
	$(check_relocs)
