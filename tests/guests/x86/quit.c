/*
 * The smallest guest: the reset path to long mode, then exit at once. The
 * benchmark (bench/kvm-boot.sh) times VM creation, boot and teardown with it.
 */
#include "runtime.h"

int main(void)
{
	test_exit(0);
}
