/*
 * The exit status of a VM process (`gasang run`): what the user's shell
 * sees, and what gasangd reads back to tell a guest's power-off from its
 * crash (daemon/domain.c).
 */
#ifndef VM_EXIT_STATUS_H
#define VM_EXIT_STATUS_H

#define VM_EXIT_OK	0	/* guest powered off, or the user quit */
#define VM_EXIT_GUEST	1	/* the guest stopped itself in a way only it suffers from */
#define VM_EXIT_USAGE	2	/* bad command line, kernel or image */
#define VM_EXIT_SIGNAL	128	/* + signal number */

#endif
