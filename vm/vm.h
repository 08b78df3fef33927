/* One VM in the foreground: build the machine, wire the console, run, reboot. */
#ifndef VM_VM_H
#define VM_VM_H

#include "machine/config.h"

/* Exit statuses of `gasang run` */
#define VM_EXIT_OK	0	/* guest powered off, or the user quit */
#define VM_EXIT_GUEST	1	/* the guest stopped itself in a way only it suffers from */
#define VM_EXIT_USAGE	2	/* bad command line, kernel or image */
#define VM_EXIT_SIGNAL	128	/* + signal number */

/*
 * Run the VM described by cfg until it ends. Returns the process exit status;
 * errors before the guest starts return VM_EXIT_USAGE with the message
 * recorded (error_msg()).
 */
int vm_run(const struct vm_config *cfg);

#endif
