/*
 * libFuzzer target: a state file (vm/state.h) read, checked and loaded into
 * a small machine (tests/vm/state-rig.h: PLIC, ACLINT, UART, virtio-mmio
 * with rng and input), then the loaded devices used: the rng's queue
 * processed from the loaded indices, registers read, interrupts claimed.
 * Build: `make fuzz`. Input: the file's bytes (kept in a memfd, extended to
 * where its RAM ends when that is small).
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/vm/state-rig.h"

#define MAX_FILE (RIG_RAM_SIZE + (64u << 20))

static void exercise(struct rig *r)
{
	unsigned i;

	virtio_queue_notify(&r->rng.vd, 0);
	virtio_queue_notify(&r->input.vd, 0);
	virtio_input_power_press(&r->input);
	for (i = 0; i < 8; i++)
		uart16550_ops.read(&r->uart, i, 1);
	plic_ops.read(&r->plic, PLIC_CONTEXT_BASE + PLIC_CONTEXT_CLAIM, 4);
	aclint_ops.read(&r->aclint, ACLINT_MTIMECMP_BASE, 8);
	for (i = 0; i < 0x100; i += 4)
		virtio_mmio_ops.read(&r->mmio[0], i, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state_shape shape;
	struct state_file f;
	struct rig r;
	uint64_t end;
	int fd = memfd_create("state", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size || rig_init(&r)) {
		close(fd);
		return 0;
	}
	/* a file whose RAM would end in reach: made that long, so it gets past the size check */
	if (size >= STATE_HEADER_SIZE) {
		uint64_t off, len;

		memcpy(&off, data + 64, 8);
		memcpy(&len, data + 72, 8);
		end = off + len;
		if (end >= off && end > size && end <= MAX_FILE && ftruncate(fd, (off_t)end)) {
		}
	}
	rig_shape(&shape);
	if (!state_file_open(&f, fd)) {
		if (!state_file_check_shape(&f, &shape) &&
		    !guest_mem_map_file(&r.mem, fd, f.ram_off) && !state_file_load(&f, &r.l))
			exercise(&r);
		state_file_close(&f);
	}
	rig_destroy(&r);
	close(fd);
	return 0;
}
