#include "hw/riscv/htif.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "base/error.h"

#define HTIF_EXIT_FLAG		0x1	/* device 0 payload bit 0: an exit, not a syscall */
#define HTIF_WORD_ALIGN		8

static bool word_aligned(const uint64_t *p)
{
	return (uintptr_t)p % HTIF_WORD_ALIGN == 0;
}

/* Guest RAM is little-endian; other harts may poll these words. */
static void guest_word_store(uint64_t *p, uint64_t val)
{
	__atomic_store_n(p, htole64(val), __ATOMIC_RELEASE);
}

int htif_init(struct htif *h, uint64_t *tohost, uint64_t *fromhost, const struct htif_backend *be)
{
	memset(h, 0, sizeof(*h));
	if (!tohost)
		return error_set(-EINVAL, "htif: no tohost word");
	if (!word_aligned(tohost) || (fromhost && !word_aligned(fromhost)))
		return error_set(-EINVAL, "htif: tohost/fromhost not 8-byte aligned");
	h->tohost = tohost;
	h->fromhost = fromhost;
	if (be)
		h->be = *be;
	return 0;
}

static void htif_answer(struct htif *h, uint64_t val)
{
	if (h->fromhost)
		guest_word_store(h->fromhost, val);
}

static int htif_system(struct htif *h, uint64_t cmd, uint64_t payload)
{
	/* Without the exit flag this is pk's syscall proxy, which we do not offer. */
	if (cmd != HTIF_SYSTEM_CMD || !(payload & HTIF_EXIT_FLAG))
		return 0;
	__atomic_store_n(&h->exit_code, payload >> 1, __ATOMIC_RELAXED);
	__atomic_store_n(&h->exited, true, __ATOMIC_RELEASE);
	return HTIF_EXIT;
}

static void htif_console(struct htif *h, uint64_t cmd, uint64_t payload)
{
	uint8_t c = payload & 0xff;

	/* HTIF_CONSOLE_CMD_GETC stays unanswered: no input arrives this way. */
	if (cmd != HTIF_CONSOLE_CMD_PUTC)
		return;
	if (h->be.write)
		h->be.write(h->be.opaque, &c, 1);
	htif_answer(h, HTIF_CMD(HTIF_DEV_CONSOLE, HTIF_CONSOLE_CMD_PUTC, 0));
}

int htif_handle_tohost(struct htif *h, uint64_t val)
{
	uint64_t dev = val >> HTIF_DEV_SHIFT;
	uint64_t cmd = (val >> HTIF_CMD_SHIFT) & HTIF_CMD_MASK;
	uint64_t payload = val & HTIF_PAYLOAD_MASK;
	int ret = 0;

	if (val == 0)
		return 0;	/* the guest cleared the word: no command */
	guest_word_store(h->tohost, 0);
	if (dev == HTIF_DEV_SYSTEM)
		ret = htif_system(h, cmd, payload);
	else if (dev == HTIF_DEV_CONSOLE)
		htif_console(h, cmd, payload);
	return ret;
}

bool htif_exit_code(const struct htif *h, uint64_t *code)
{
	if (!__atomic_load_n(&h->exited, __ATOMIC_ACQUIRE))
		return false;
	*code = __atomic_load_n(&h->exit_code, __ATOMIC_RELAXED);
	return true;
}
