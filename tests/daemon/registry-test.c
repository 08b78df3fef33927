/*
 * daemon/registry.c: the defined VMs kept in name order whatever order they
 * come in, found by name and by uuid, a name taken only once, removal of
 * exactly the domain asked for, and every domain freed with the registry.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/domain.h"
#include "daemon/registry.h"

#define NVMS 200

/* VMs that never run: where their files would go is all they need */
static const struct dom_env env = {
	.proc = &dom_process_supervised, .vm_dir = "/run/test/vm", .log_dir = "/var/test/logs",
};

static struct domain *vm(unsigned n)
{
	char name[16], uuid[DEF_UUID_LEN + 1];
	struct domain *dom;
	json_t *def;

	/* names of varying length, so their order is not the order of n */
	snprintf(name, sizeof(name), "vm%u", n * 7919 % 1000);
	snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012u", n);
	def = json_pack("{s:s,s:s}", "name", name, "uuid", uuid);
	assert_non_null(def);
	dom = domain_new(&env, def, false);
	assert_non_null(dom);
	return dom;
}

/* NVMS domains, added in an order that is not their names' */
static void fill(struct registry *reg, struct domain *doms[NVMS])
{
	unsigned i;

	for (i = 0; i < NVMS; i++) {
		doms[i] = vm(i);
		assert_int_equal(registry_add(reg, doms[i]), 0);
	}
}

static void test_sorted_and_found(void **state)
{
	struct registry reg = { 0 };
	struct domain *doms[NVMS];
	unsigned i;

	(void)state;
	fill(&reg, doms);
	assert_int_equal(reg.n, NVMS);
	for (i = 1; i < reg.n; i++)
		assert_true(strcmp(reg.doms[i - 1]->name, reg.doms[i]->name) < 0);
	for (i = 0; i < NVMS; i++) {
		assert_ptr_equal(registry_find(&reg, doms[i]->name), doms[i]);
		assert_ptr_equal(registry_find_uuid(&reg, doms[i]->uuid), doms[i]);
	}
	assert_null(registry_find(&reg, "vm"));
	assert_null(registry_find(&reg, "zz"));
	assert_null(registry_find_uuid(&reg, "00000000-0000-4000-8000-999999999999"));
	assert_null(registry_find_uuid(&reg, NULL));
	registry_destroy(&reg);
	assert_int_equal(reg.n, 0);
	assert_null(reg.doms);
}

static void test_name_once(void **state)
{
	struct registry reg = { 0 };
	struct domain *a = vm(1), *twin = vm(1);

	(void)state;
	assert_int_equal(registry_add(&reg, a), 0);
	assert_int_equal(registry_add(&reg, twin), -EEXIST);
	assert_int_equal(reg.n, 1);
	assert_ptr_equal(registry_find(&reg, a->name), a);
	/* a domain of the same name that is not in the table stays out of it */
	registry_remove(&reg, twin);
	assert_int_equal(reg.n, 1);
	domain_free(twin);
	registry_destroy(&reg);
}

static void test_remove(void **state)
{
	struct registry reg = { 0 };
	struct domain *doms[NVMS];
	unsigned i;

	(void)state;
	fill(&reg, doms);
	/* every other one out, the rest still in order and found */
	for (i = 0; i < NVMS; i += 2) {
		registry_remove(&reg, doms[i]);
		assert_null(registry_find(&reg, doms[i]->name));
		domain_free(doms[i]);
	}
	assert_int_equal(reg.n, NVMS / 2);
	for (i = 1; i < reg.n; i++)
		assert_true(strcmp(reg.doms[i - 1]->name, reg.doms[i]->name) < 0);
	for (i = 1; i < NVMS; i += 2)
		assert_ptr_equal(registry_find(&reg, doms[i]->name), doms[i]);
	registry_destroy(&reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_and_found),
		cmocka_unit_test(test_name_once),
		cmocka_unit_test(test_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
