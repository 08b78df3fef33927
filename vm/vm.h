/* One VM in the foreground: build the machine, wire the console, run, reboot. */
#ifndef VM_VM_H
#define VM_VM_H

#include "machine/config.h"
#include "vm/exit-status.h"

/*
 * Run the VM described by cfg until it ends. Returns the process exit status;
 * errors before the guest starts return VM_EXIT_USAGE with the message
 * recorded (error_msg()).
 */
int vm_run(const struct vm_config *cfg);

#endif
