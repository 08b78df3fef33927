#include "base/size.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/error.h"

static int unit_shift(const char *u, int *shift)
{
	static const char units[] = "KMGTPE";
	const char *p;

	if (*u == '\0') {
		*shift = -1;
		return 0;
	}
	p = strchr(units, toupper((unsigned char)*u));
	if (!p)
		return -EINVAL;
	*shift = 10 * (int)(p - units + 1);
	u++;
	if (strcasecmp(u, "") == 0 || strcasecmp(u, "B") == 0 || strcasecmp(u, "iB") == 0)
		return 0;
	return -EINVAL;
}

int size_parse(const char *s, uint64_t default_unit, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift;

	if (!s || !isdigit((unsigned char)*s))
		return error_set(-EINVAL, "invalid size '%s'", s ? s : "");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || unit_shift(end, &shift) < 0)
		return error_set(-EINVAL, "invalid size '%s'", s);
	if (shift < 0) {
		if (default_unit && v > UINT64_MAX / default_unit)
			return error_set(-EINVAL, "size '%s' is too large", s);
		*out = default_unit ? v * default_unit : v;
		return 0;
	}
	if (shift >= 64 || v > (UINT64_MAX >> shift))
		return error_set(-EINVAL, "size '%s' is too large", s);
	*out = (uint64_t)v << shift;
	return 0;
}
