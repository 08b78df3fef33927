/* ctr/devices.c: the device cgroup rules a config gets (its own, then the defaults, then linux.devices). */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "ctr/config.h"
#include "ctr/devices.h"

static struct ctr_config *parse(const char *lx)
{
	char text[2048];
	struct ctr_config *c = NULL;

	snprintf(text, sizeof(text), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},\"linux\":%s}", lx);
	if (ctr_config_parse(text, strlen(text), "config.json", &c))
		fail_msg("%s", error_msg());
	return c;
}

static void test_rules(void **state)
{
	struct ctr_config *c;
	struct ctr_device_rule *r;
	size_t n, i;
	bool null = false, fuse = false;

	(void)state;
	c = parse("{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
		  "\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229},"
		  "{\"path\":\"/dev/p\",\"type\":\"p\"},{\"path\":\"/dev/sda\",\"type\":\"b\",\"major\":8,\"minor\":0}]}");
	assert_int_equal(ctr_device_rules(c, &r, &n), 0);
	/* the config's rule first: a later allow must not be undone by it */
	assert_false(r[0].allow);
	assert_int_equal(r[0].type, 'a');
	for (i = 1; i < n; i++) {
		assert_true(r[i].allow);
		null |= r[i].type == 'c' && r[i].major == 1 && r[i].minor == 3;
		fuse |= r[i].type == 'c' && r[i].major == 10 && r[i].minor == 229 &&
			!strcmp(r[i].access, "rwm");
		assert_false(r[i].type == 'p');
	}
	assert_true(null && fuse);
	assert_int_equal(r[n - 1].type, 'b');
	free(r);
	ctr_config_free(c);

	/* no device policy in the config: none added (the inherited one stands) */
	c = parse("{}");
	assert_int_equal(ctr_device_rules(c, &r, &n), 0);
	assert_int_equal(n, 0);
	assert_null(r);
	ctr_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
