#include "accel/emu/isa.h"

#include <errno.h>
#include <string.h>

/* RV64GC as the device tree names its parts: always there */
static const char *const base_exts[] = {
	"i", "m", "a", "f", "d", "c", "zicntr", "zicsr", "zifencei",
};

static const char *const ext_names[ISA_BITS] = {
#define ISA_NAME(name, dt) [ISA_BIT_##name] = dt,
	ISA_EXTS(ISA_NAME)
#undef ISA_NAME
};

/* RVA22U64/S64's mandatory extensions, with its options Sstc, Svpbmt and Svinval */
#define RVA22 (ISA(ZBA) | ISA(ZBB) | ISA(ZBS) | ISA(ZICBOM) | ISA(ZICBOP) | ISA(ZICBOZ) | \
	       ISA(ZIHINTPAUSE) | ISA(ZFHMIN) | ISA(ZKT) | ISA(SSTC) | ISA(SVPBMT) |      \
	       ISA(SVINVAL))
/* RVA23U64/S64's scalar parts on top (not Zfa, nor V yet), with the options Zbc and Svadu */
#define RVA23 (RVA22 | ISA(ZICOND) | ISA(ZIHINTNTL) | ISA(ZIMOP) | ISA(ZCMOP) |           \
	       ISA(ZCB) | ISA(ZAWRS) | ISA(SVNAPOT) | ISA(SVADU) | ISA(ZBC))

static const struct isa_profile profiles[] = {
	{ "rv64gc", 0 },
	{ "rva22", RVA22 },
	{ "rva23", RVA23 },
};

const struct isa_profile *isa_profile_find(const char *name)
{
	size_t i;

	if (!name)
		return &profiles[2];
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (!strcmp(name, profiles[i].name))
			return &profiles[i];
	return NULL;
}

const char *isa_profile_names(void)
{
	return "rv64gc, rva22, rva23";
}

static int append(char *buf, size_t size, size_t *at, const char *s, size_t n)
{
	if (*at + n > size)
		return -ENOSPC;
	memcpy(buf + *at, s, n);
	*at += n;
	return 0;
}

int isa_dt_extensions(uint64_t exts, char *buf, size_t size, size_t *len)
{
	size_t at = 0, i;
	int err;

	for (i = 0; i < sizeof(base_exts) / sizeof(base_exts[0]); i++)
		if ((err = append(buf, size, &at, base_exts[i], strlen(base_exts[i]) + 1)))
			return err;
	for (i = 0; i < ISA_BITS; i++)
		if ((exts >> i) & 1)
			if ((err = append(buf, size, &at, ext_names[i], strlen(ext_names[i]) + 1)))
				return err;
	*len = at;
	return 0;
}

int isa_dt_string(uint64_t exts, char *buf, size_t size)
{
	size_t at = 0, i;
	int err;

	if ((err = append(buf, size, &at, "rv64imafdc", 10)))
		return err;
	for (i = 6; i < sizeof(base_exts) / sizeof(base_exts[0]); i++)
		if ((err = append(buf, size, &at, "_", 1)) ||
		    (err = append(buf, size, &at, base_exts[i], strlen(base_exts[i]))))
			return err;
	for (i = 0; i < ISA_BITS; i++)
		if ((exts >> i) & 1)
			if ((err = append(buf, size, &at, "_", 1)) ||
			    (err = append(buf, size, &at, ext_names[i], strlen(ext_names[i]))))
				return err;
	return append(buf, size, &at, "", 1);
}
