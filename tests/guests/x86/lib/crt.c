/* C runtime setup of a firmware-image test guest: data from ROM to RAM, bss zeroed. */
#include "runtime.h"

extern char __data_lma[], __data_start[], __data_end[], __bss_start[], __bss_end[];

void crt_init(void);

void crt_init(void)
{
	memcpy(__data_start, __data_lma, (size_t)(__data_end - __data_start));
	memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));
}
