/*
 * A whole machine as an ELF core file, as QEMU's dump-guest-memory writes
 * one, over the debug seam (debug/debug.h), so `gdb` opens it:
 *
 *   PT_NOTE   each CPU's registers: NT_PRSTATUS as Linux lays it out for
 *             the architecture (pr_pid = CPU number + 1: GDB's threads)
 *   PT_LOAD   with paging: one per run of CPU 0's page-table mappings that
 *             lands in RAM (p_vaddr virtual, p_paddr physical), sharing the
 *             RAM's bytes in the file; they come first, so a debugger reads
 *             a kernel's virtual addresses through them
 *   PT_LOAD   one per RAM range (p_paddr = p_vaddr = its guest-physical
 *             address), the RAM's bytes
 *
 * More program headers than e_phnum holds use ELF's PN_XNUM extension.
 * The file is produced in order, a chunk at a time, for a stream; the CPUs
 * must stay stopped from core_dump_open to the last read (the caller holds
 * them), so what it shows is one moment of the machine.
 */
#ifndef DEBUG_CORE_DUMP_H
#define DEBUG_CORE_DUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct debug_ops;
struct core_dump;

/*
 * Read the registers and, with paging, CPU 0's mappings now; the RAM is
 * read as the file is. 0, or a negative errno (recorded).
 */
int core_dump_open(struct core_dump **out, const struct debug_ops *ops, void *target,
		   bool paging);
/* The file's size in bytes. */
uint64_t core_dump_size(const struct core_dump *d);
/* The next bytes of the file into buf: their count, 0 at its end, or -errno (recorded). */
ssize_t core_dump_read(struct core_dump *d, void *buf, size_t len);
void core_dump_free(struct core_dump *d);

#endif
