/* A debugger's reads and writes of guest memory, a page at a time (debug/debug.h). */
#include <errno.h>
#include <string.h>

#include "debug/debug.h"

ssize_t debug_copy(uint64_t addr, void *buf, size_t len, bool write,
		   void *(*host_of)(void *opaque, uint64_t addr, size_t len, bool write), void *opaque)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		uint64_t a = addr + done;
		size_t chunk = DEBUG_PAGE_SIZE - (a & (DEBUG_PAGE_SIZE - 1));
		uint8_t *host;

		if (chunk > len - done)
			chunk = len - done;
		host = host_of(opaque, a, chunk, write);
		if (!host)
			break;
		if (write)
			memcpy(host, p + done, chunk);
		else
			memcpy(p + done, host, chunk);
		done += chunk;
	}
	return done ? (ssize_t)done : -EFAULT;
}
