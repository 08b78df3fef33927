/*
 * The state file of a saved VM (`{"op":"save"}`, `gasang run --restore`):
 *
 *   header    128 bytes: magic "GASANGVM", format version, the machine's shape
 *             (architecture, RAM bytes, CPUs), where sections and RAM lie, a
 *             CRC-32 of the header
 *   sections  one per object that has state (base/state.h): magic "GSEC",
 *             name, instance, the section's own version, length, CRC-32 of
 *             that header and the bytes, then the bytes
 *   RAM       at a STATE_RAM_ALIGN-aligned offset, every byte of guest RAM
 *             in guest-physical order (region 0, then region 1); pages of
 *             zeros are holes, so the file is about as large as the RAM the
 *             guest used
 *
 * A restore maps RAM from the file (MAP_PRIVATE): pages are read when the
 * guest first touches them, so a restore does not wait for RAM. RAM carries no
 * checksum for that reason; everything else is checked before anything is
 * loaded: a file of another format version, of another shape, with a section
 * missing, extra, of another version or whose checksum fails is refused with
 * a message naming what differs, and nothing of it is used.
 */
#ifndef VM_STATE_H
#define VM_STATE_H

#include <stdint.h>

#include "base/state.h"

#define STATE_FILE_MAGIC	"GASANGVM"
#define STATE_FILE_VERSION	1
#define STATE_HEADER_SIZE	128
#define STATE_SECTION_MAGIC	0x43455347u	/* "GSEC" */
#define STATE_SECTION_HDR	48
#define STATE_SECTIONS_MAX	(64u << 20)	/* all sections' bytes together */
#define STATE_RAM_ALIGN		(64u << 10)	/* any host page size up to 64 KiB */

struct guest_mem;

/* What must be equal between the saved VM and the one that restores it. */
struct state_shape {
	char arch[16];
	uint64_t mem_size;	/* guest RAM, all regions */
	uint32_t cpus;
};

struct state_section {
	char name[STATE_NAME_MAX];
	uint32_t instance, version, len;
	uint64_t off;		/* into state_file.sections */
};

struct state_file {
	int fd;
	struct state_shape shape;
	uint8_t *sections;
	uint64_t sections_len;
	struct state_section sec[STATE_LIST_MAX];
	unsigned nsec;
	uint64_t ram_off, ram_len;
};

/* How a save went, for the control op's answer and the benchmarks. */
struct state_save_stats {
	uint64_t state_bytes;	/* header and sections */
	uint64_t ram_bytes;	/* RAM written (pages of zeros are skipped) */
	uint64_t file_bytes;	/* the file's length, holes included */
};

/*
 * Write the state of every object in l and all of mem's RAM to fd (a regular
 * file, written from offset 0 and truncated to its length), then sync it.
 * The objects must be still (CPUs paused, devices quiesced).
 */
int state_file_save(int fd, const struct state_shape *shape, const struct state_list *l,
		    const struct guest_mem *mem, struct state_save_stats *st);

/*
 * Read and check a state file's header and sections (fd stays the caller's,
 * and must stay open while RAM is mapped from it). Errors: -EINVAL with a
 * message for a file that is not a state file, another format version, a
 * corrupt or truncated one.
 */
int state_file_open(struct state_file *f, int fd);
void state_file_close(struct state_file *f);
/* The VM that restores must have the saved shape: -EINVAL naming the difference. */
int state_file_check_shape(const struct state_file *f, const struct state_shape *s);
/*
 * Match every section to an object of l (each exactly once, versions equal),
 * then load them all in l's order, then run their post_load hooks. RAM must
 * be in place first (guest_mem_map_file): devices check their rings in it.
 */
int state_file_load(const struct state_file *f, const struct state_list *l);

#endif
