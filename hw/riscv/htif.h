/*
 * The Berkeley HTIF "tohost/fromhost" device of Spike and QEMU, which bare-metal
 * test programs (riscv-tests and the like) use to print and to exit. The guest
 * stores a command into its 'tohost' word; the machine, which found the words
 * through the ELF's tohost/fromhost symbols, calls htif_handle_tohost().
 *
 * A command is  device << 56 | cmd << 48 | payload (48 bits):
 *   device 0, cmd 0, payload bit 0 set   exit with code payload >> 1
 *   device 1, cmd 1                      console putchar(payload & 0xff),
 *                                        acknowledged in fromhost
 *   device 1, cmd 0                      console getchar: not supported, no
 *                                        answer (there is no HTIF input; a
 *                                        guest wanting input uses the UART)
 * Anything else (including device 0's syscall proxy) is ignored. tohost reads
 * 0 again after every command, as on Spike.
 *
 * Threading: none of its own; the caller serialises calls (one vCPU at a time).
 */
#ifndef HW_RISCV_HTIF_H
#define HW_RISCV_HTIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTIF_DEV_SHIFT		56
#define HTIF_CMD_SHIFT		48
#define HTIF_CMD_MASK		0xffULL
#define HTIF_PAYLOAD_MASK	((1ULL << HTIF_CMD_SHIFT) - 1)

#define HTIF_DEV_SYSTEM		0	/* exit (and pk's syscall proxy, unsupported) */
#define HTIF_SYSTEM_CMD		0
#define HTIF_DEV_CONSOLE	1
#define HTIF_CONSOLE_CMD_GETC	0
#define HTIF_CONSOLE_CMD_PUTC	1

#define HTIF_CMD(dev, cmd, payload) \
	(((uint64_t)(dev) << HTIF_DEV_SHIFT) | ((uint64_t)(cmd) << HTIF_CMD_SHIFT) | \
	 ((uint64_t)(payload) & HTIF_PAYLOAD_MASK))

/* htif_handle_tohost() result: the guest asked the machine to stop. */
#define HTIF_EXIT		1

struct htif_backend {
	/* Console output. */
	void (*write)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
};

struct htif {
	uint64_t *tohost;	/* host pointers into guest RAM, 8-byte aligned */
	uint64_t *fromhost;	/* NULL when the program has no fromhost symbol */
	struct htif_backend be;
	bool exited;
	uint64_t exit_code;
};

/*
 * tohost must not be NULL; fromhost may be (console output then goes
 * unacknowledged). be may be NULL (output discarded). -EINVAL when a pointer
 * is not 8-byte aligned.
 */
int htif_init(struct htif *h, uint64_t *tohost, uint64_t *fromhost, const struct htif_backend *be);

/*
 * The guest stored 'val' into tohost. Returns HTIF_EXIT when the guest asked
 * to exit (the code is then in htif_exit_code()), 0 otherwise. Never fails.
 */
int htif_handle_tohost(struct htif *h, uint64_t val);

/*
 * True once the guest asked to exit; *code is its exit code (0 = pass; for
 * riscv-tests, a failing test number). Up to 47 bits: the caller maps it to a
 * process status.
 */
bool htif_exit_code(const struct htif *h, uint64_t *code);

#endif
