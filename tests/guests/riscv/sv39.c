/* Sv39 paging: see paging.c. */
#include "runtime.h"
#include "paging.h"

int main(void)
{
	return paging_test(SATP_MODE_SV39);
}
