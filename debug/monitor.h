/*
 * GDB's `monitor CMD` (qRcmd): machine-level looks a debugger does not have
 * on its own: physical memory, all registers, page-table walks and the
 * mappings they make, the machine's devices. `monitor help` lists them.
 */
#ifndef DEBUG_MONITOR_H
#define DEBUG_MONITOR_H

#include "debug/debug.h"

struct bus;

/* Run cmd against CPU cpu (the debugger's selected thread); its output goes to out. */
void debug_monitor(const struct debug_ops *ops, void *target, unsigned cpu, const char *cmd,
		   struct debug_text *out);

/* For a devices op: a line per window on bus ("mmio", "port"). */
void debug_print_bus(struct debug_text *out, const char *bus_name, const struct bus *bus);

#endif
