/*
 * gasang img: disk images, the qemu-img role (files it writes are qemu-img
 * compatible and the other way round).
 *
 * Exit status: 0 success; 1 an error with the images (missing file, not an
 * image, I/O error, a size the format refuses), as qemu-img; 2 bad usage
 * (unknown option, missing argument, malformed size or -o option; resize:
 * a new size that is not positive, or smaller without --shrink), as the
 * rest of gasang.
 * `check` follows qemu-img exactly instead: 0 clean, 1 the check could not
 * be completed (including bad usage), 2 corruptions, 3 leaked clusters only,
 * 63 checks not supported by the format.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/error.h"
#include "base/escape.h"
#include "base/size.h"
#include "block/block.h"
#include "block/convert.h"
#include "cli/cli.h"

#define IMG_EXIT_ERROR		1
#define CHECK_EXIT_CORRUPT	2
#define CHECK_EXIT_LEAKS	3
#define CHECK_EXIT_UNSUPPORTED	63


static const char img_help[] =
	"usage: gasang img <command> [options]\n"
	"  create [-q] [-f raw|qcow2] [-b BACKING [-F FMT]] [-o OPTS] FILE [SIZE]\n"
	"  info [-f FMT] [--output=human|json] FILE\n"
	"  check [-f FMT] [-r leaks|all] FILE\n"
	"  convert [-f FMT] [-O FMT] [-o OPTS] [-c] [-p] SRC DST\n"
	"  snapshot [-l | -c NAME | -a NAME | -d NAME] FILE\n"
	"  resize [-q] [--shrink] [-f FMT] FILE [+|-]SIZE\n"
	"qcow2 -o options: cluster_size=SIZE, compression_type=zlib|zstd, compat=1.1|0.10,\n"
	"  refcount_bits=N, lazy_refcounts=on|off, backing_file=F, backing_fmt=FMT\n"
	"SIZE: bytes, or with a K, M, G, T suffix. Exit status: 0 ok, 1 image error,\n"
	"2 bad usage; check (as qemu-img): 0 clean (or repaired), 1 the check could not\n"
	"  run, 2 corruptions remain, 3 only leaked clusters remain, 63 the format has no\n"
	"  checks (raw).\n"
	"resize: +SIZE/-SIZE relative to the current size; a smaller size needs --shrink\n"
	"  (raw: the data past it is lost; qcow2: refused if data lies past it);\n"
	"  qcow2 sizes are multiples of 512.\n";

static const struct cli_report img_report = { .prog = "gasang img", .help = "gasang img --help" };

static int fail(void)
{
	return cli_fail(&img_report, IMG_EXIT_ERROR, 0);
}

/* getopt_long with our conventions: returns '?' after printing a usage line. */
static int next_opt(int argc, char **argv, const char *shortopts, const struct option *longopts,
		    int *usage_rc)
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);

	if (c == '?' || c == ':') {
		*usage_rc = cli_usage_error(&img_report, c == ':' ? "option '%s' needs a value"
								: "unknown option '%s'",
					    argv[optind - 1]);
		return '?';
	}
	return c;
}

/* ---- -o key=value,... ---- */

static bool parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "true")) {
		*out = true;
		return true;
	}
	if (!strcmp(v, "off") || !strcmp(v, "false")) {
		*out = false;
		return true;
	}
	return false;
}

/* Fills o from "k=v,k=v" (s is modified). Returns 0 or a usage exit status. */
static int parse_create_opts(char *s, struct block_create_opts *o)
{
	char *save = NULL, *kv;

	for (kv = strtok_r(s, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		uint64_t n;

		if (!v)
			return cli_usage_error(&img_report, "-o %s: expected key=value", kv);
		*v++ = '\0';
		if (!strcmp(kv, "cluster_size")) {
			if (size_parse(v, 0, &n))
				return cli_usage_error(&img_report, "-o cluster_size=%s: %s", v,
						       error_msg());
			o->cluster_size = n;
		} else if (!strcmp(kv, "compression_type")) {
			o->compression = v;
		} else if (!strcmp(kv, "compat")) {
			if (!strcmp(v, "1.1") || !strcmp(v, "v3"))
				o->version = 3;
			else if (!strcmp(v, "0.10") || !strcmp(v, "v2"))
				o->version = 2;
			else
				return cli_usage_error(&img_report,
						       "-o compat=%s: expected 1.1 or 0.10", v);
		} else if (!strcmp(kv, "refcount_bits")) {
			char *end;
			unsigned long b = strtoul(v, &end, 10);

			if (*end || !b || b > 64)
				return cli_usage_error(&img_report,
						       "-o refcount_bits=%s: expected 1 to 64", v);
			o->refcount_bits = (unsigned)b;
		} else if (!strcmp(kv, "lazy_refcounts")) {
			if (!parse_bool(v, &o->lazy_refcounts))
				return cli_usage_error(&img_report,
						       "-o lazy_refcounts=%s: expected on or off", v);
		} else if (!strcmp(kv, "backing_file")) {
			o->backing_file = v;
		} else if (!strcmp(kv, "backing_fmt")) {
			o->backing_format = v;
		} else if (!strcmp(kv, "preallocation")) {
			if (strcmp(v, "off"))
				return cli_usage_error(&img_report,
						       "-o preallocation=%s: only 'off' is supported", v);
		} else {
			return cli_usage_error(&img_report, "-o %s: unknown option", kv);
		}
	}
	return 0;
}

/* False (after a usage message in *rc) if f names no format; NULL (probe) is fine. */
static bool fmt_ok(const char *f, int *rc)
{
	if (f && !block_driver_find(f)) {
		*rc = cli_usage_error(&img_report, "unknown image format '%s' (raw, qcow2)", f);
		return false;
	}
	return true;
}

/* ---- create ---- */

static int img_create(int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct block_create_opts o = { 0 };
	const char *fmt = "raw", *path;
	uint64_t size = 0;
	bool quiet = false;
	int c, rc = 0;

	optind = 1;
	while ((c = next_opt(argc, argv, "+:f:b:F:o:uqh", longopts, &rc)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;	/* as qemu-img: no "Formatting" line */
		case 'f': fmt = optarg; break;
		case 'b': o.backing_file = optarg; break;
		case 'F': o.backing_format = optarg; break;
		case 'o':
			rc = parse_create_opts(optarg, &o);
			if (rc)
				return rc;
			break;
		case 'u': break;	/* qemu-img's "unsafe": we never open the backing file anyway */
		case 'h': fputs(img_help, stdout); return 0;
		default: return rc;
		}
	}
	if (!fmt_ok(fmt, &rc))
		return rc;
	if (optind >= argc)
		return cli_usage_error(&img_report, "create: missing FILE");
	path = argv[optind++];
	if (optind < argc) {
		if (size_parse(argv[optind], 0, &size))
			return cli_usage_error(&img_report, "create: %s", error_msg());
		optind++;
	} else if (o.backing_file) {
		/* the size of the backing file, as qemu-img does */
		struct block_open_opts bo = { .format = o.backing_format, .read_only = true };
		struct block_dev *b;
		char *bpath = block_backing_path(path, o.backing_file);
		int err;

		if (!bpath)
			return fail();
		err = block_open(&b, bpath, &bo);
		free(bpath);
		if (err)
			return fail();
		size = b->size;
		if (!o.backing_format)
			o.backing_format = b->drv == &block_raw ? "raw" : "qcow2";
		block_close(b);
	} else {
		return cli_usage_error(&img_report, "create: missing SIZE");
	}
	if (optind < argc)
		return cli_usage_error(&img_report, "create: unexpected argument '%s'", argv[optind]);
	if (block_create(path, fmt, size, &o))
		return fail();
	if (!quiet)
		printf("Formatting '%s', fmt=%s size=%" PRIu64 "%s%s\n", path, fmt, size,
		       o.backing_file ? " backing_file=" : "", o.backing_file ? o.backing_file : "");
	return 0;
}

/* ---- info ---- */

/* "196 KiB", "1 GiB", as qemu-img prints sizes. */
static void human_size(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = (double)v;
	unsigned i = 0;

	while (d >= 1024 && i + 1 < sizeof(units) / sizeof(units[0])) {
		d /= 1024;
		i++;
	}
	snprintf(buf, len, "%0.3g %s", d, units[i]);
}

static uint64_t disk_usage(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint64_t)st.st_blocks * 512;
}

/* Image metadata is the image's to choose: never print its control characters. */
static void print_text(const char *label, const char *s)
{
	char *e = str_escape(s);

	printf("%s%s", label, e ? e : "?");
	free(e);
}

static void print_field(const char *label, const char *s)
{
	print_text(label, s);
	putchar('\n');
}

/* A JSON string (jansson escapes control characters; text that is not UTF-8 is escaped here). */
static json_t *json_text(const char *s)
{
	char *e;
	json_t *j = json_string(s);

	if (j)
		return j;
	e = str_escape(s);
	j = json_string(e ? e : "?");
	free(e);
	return j;
}

static json_t *snapshots_json(const struct block_snapshot *sn, unsigned n)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:i,s:I,s:o,s:i,s:i,s:I,s:o,s:I}",
			"icount", 0, "vm-clock-nsec", (json_int_t)(sn[i].vm_clock_nsec % 1000000000),
			"name", json_text(sn[i].name), "date-sec", (int)sn[i].date_sec,
			"date-nsec", (int)sn[i].date_nsec,
			"vm-clock-sec", (json_int_t)(sn[i].vm_clock_nsec / 1000000000),
			"id", json_text(sn[i].id), "vm-state-size", (json_int_t)sn[i].vm_state_size));
	return a;
}

/* qemu-img info --output=json's fields, in its order. */
static int info_json(struct block_dev *bd, const struct block_info *info, const char *full,
		     const struct block_snapshot *sn, unsigned nsn)
{
	json_t *o = json_object(), *data;
	int err;

	if (nsn)
		json_object_set_new(o, "snapshots", snapshots_json(sn, nsn));
	json_object_set_new(o, "virtual-size", json_integer((json_int_t)info->virtual_size));
	json_object_set_new(o, "filename", json_text(bd->filename));
	if (info->cluster_size)
		json_object_set_new(o, "cluster-size", json_integer((json_int_t)info->cluster_size));
	json_object_set_new(o, "format", json_string(info->format));
	json_object_set_new(o, "actual-size", json_integer((json_int_t)disk_usage(bd->filename)));
	if (info->version) {
		data = json_object();
		json_object_set_new(data, "compat",
				    json_string(info->version >= 3 ? "1.1" : "0.10"));
		if (info->version >= 3) {
			json_object_set_new(data, "compression-type", json_string(info->compression));
			json_object_set_new(data, "lazy-refcounts", json_boolean(info->lazy_refcounts));
		}
		json_object_set_new(data, "refcount-bits", json_integer(info->refcount_bits));
		json_object_set_new(data, "corrupt", json_boolean(info->corrupt));
		json_object_set_new(data, "extended-l2", json_false());
		json_object_set_new(o, "format-specific",
				    json_pack("{s:s,s:o}", "type", "qcow2", "data", data));
	}
	if (info->backing_file) {
		json_object_set_new(o, "full-backing-filename",
				    json_text(full ? full : info->backing_file));
		json_object_set_new(o, "backing-filename", json_text(info->backing_file));
		if (info->backing_format)
			json_object_set_new(o, "backing-filename-format",
					    json_text(info->backing_format));
	}
	json_object_set_new(o, "dirty-flag", json_boolean(info->dirty));
	err = cli_print_json(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return err ? IMG_EXIT_ERROR : 0;
}

static void snapshot_table(const struct block_snapshot *s, unsigned n)
{
	unsigned i;

	printf("ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\n");
	for (i = 0; i < n; i++) {
		char vm[32], date[32], clock[32];
		time_t t = s[i].date_sec;
		struct tm tm;
		uint64_t ms = s[i].vm_clock_nsec / 1000000;

		human_size(s[i].vm_state_size, vm, sizeof(vm));
		localtime_r(&t, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(clock, sizeof(clock), "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64,
			 ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
		char *id = str_escape(s[i].id), *name = str_escape(s[i].name);

		printf("%-9s %-17s %7s %19s %12s\n", id ? id : "?", name ? name : "?", vm, date,
		       clock);
		free(id);
		free(name);
	}
}

static int img_info(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct block_open_opts bo = { .read_only = true, .no_backing = true };
	struct block_snapshot *sn = NULL;
	struct block_dev *bd;
	struct block_info info;
	char *full = NULL, a[32], b[32];
	unsigned nsn = 0;
	bool json = false;
	int c, rc = 0;

	optind = 1;
	while ((c = next_opt(argc, argv, "+:f:h", longopts, &rc)) != -1) {
		switch (c) {
		case 'f': bo.format = optarg; break;
		case 'O':
			if (!strcmp(optarg, "json"))
				json = true;
			else if (strcmp(optarg, "human"))
				return cli_usage_error(&img_report,
						       "--output=%s: expected human or json", optarg);
			break;
		case 'h': fputs(img_help, stdout); return 0;
		default: return rc;
		}
	}
	if (!fmt_ok(bo.format, &rc))
		return rc;
	if (optind != argc - 1)
		return cli_usage_error(&img_report, "info: expected one FILE");
	if (block_open(&bd, argv[optind], &bo))
		return fail();
	block_get_info(bd, &info);
	if (info.nb_snapshots && block_snapshot_list(bd, &sn, &nsn)) {
		block_close(bd);
		return fail();
	}
	if (info.backing_file)
		full = block_backing_path(bd->filename, info.backing_file);
	if (json) {
		rc = info_json(bd, &info, full, sn, nsn);
	} else {
		human_size(info.virtual_size, a, sizeof(a));
		human_size(disk_usage(bd->filename), b, sizeof(b));
		print_field("image: ", bd->filename);
		printf("file format: %s\nvirtual size: %s (%" PRIu64 " bytes)\ndisk size: %s\n",
		       info.format, a, info.virtual_size, b);
		if (info.cluster_size)
			printf("cluster_size: %" PRIu64 "\n", info.cluster_size);
		if (info.backing_file) {
			print_text("backing file: ", info.backing_file);
			if (full && strcmp(full, info.backing_file))
				print_text(" (actual path: ", full), putchar(')');
			putchar('\n');
			if (info.backing_format)
				print_field("backing file format: ", info.backing_format);
		}
		if (nsn) {
			printf("Snapshot list:\n");
			snapshot_table(sn, nsn);
		}
		if (info.version) {
			printf("Format specific information:\n");
			printf("    compat: %s\n", info.version >= 3 ? "1.1" : "0.10");
			if (info.version >= 3) {
				printf("    compression type: %s\n", info.compression);
				printf("    lazy refcounts: %s\n", info.lazy_refcounts ? "true" : "false");
			}
			printf("    refcount bits: %u\n", info.refcount_bits);
			printf("    corrupt: %s\n", info.corrupt ? "true" : "false");
			printf("    dirty: %s\n", info.dirty ? "true" : "false");
			printf("    extended l2: false\n");
		}
	}
	free(full);
	block_snapshots_free(sn, nsn);
	block_close(bd);
	return 0;
}

/* ---- check ---- */

static void report_line(void *opaque, const char *fmt, ...)
{
	va_list ap;

	(void)opaque;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int img_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repair", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct block_open_opts bo = { .read_only = true, .no_backing = true, .no_repair = true };
	struct block_check r;
	struct block_dev *bd;
	unsigned repair = 0;
	int c, rc = 0, err;

	optind = 1;
	while ((c = next_opt(argc, argv, "+:f:r:h", longopts, &rc)) != -1) {
		switch (c) {
		case 'f': bo.format = optarg; break;
		case 'r':
			if (!strcmp(optarg, "leaks")) {
				repair = BLOCK_CHECK_REPAIR_LEAKS;
			} else if (!strcmp(optarg, "all")) {
				repair = BLOCK_CHECK_REPAIR_ALL;
			} else {
				cli_usage_error(&img_report, "-r %s: expected leaks or all", optarg);
				return IMG_EXIT_ERROR;
			}
			break;
		case 'h': fputs(img_help, stdout); return 0;
		default: return IMG_EXIT_ERROR;	/* qemu-img: usage errors are 1 here */
		}
	}
	if (bo.format && !block_driver_find(bo.format)) {
		cli_usage_error(&img_report, "unknown image format '%s'", bo.format);
		return IMG_EXIT_ERROR;
	}
	if (optind != argc - 1) {
		cli_usage_error(&img_report, "check: expected one FILE");
		return IMG_EXIT_ERROR;
	}
	bo.read_only = !repair;
	if (block_open(&bd, argv[optind], &bo))
		return fail();
	if (!bd->drv->check) {
		fprintf(stderr, "gasang img: %s: %s images do not support checks\n", bd->filename,
			bd->drv->name);
		block_close(bd);
		return CHECK_EXIT_UNSUPPORTED;
	}
	err = block_check(bd, &r, repair, report_line, NULL);
	if (err) {
		fprintf(stderr, "gasang img: check of %s could not be completed: %s\n", bd->filename,
			error_msg());
		block_close(bd);
		return IMG_EXIT_ERROR;
	}
	if (r.leaks_fixed || r.corruptions_fixed)
		printf("The following inconsistencies were found and repaired:\n\n"
		       "    %" PRIu64 " leaked clusters\n    %" PRIu64 " corruptions\n\n"
		       "Double checking the fixed image now...\n",
		       r.leaks_fixed, r.corruptions_fixed);
	if (!r.corruptions && !r.leaks)
		printf("No errors were found on the image.\n");
	if (r.corruptions)
		printf("\n%" PRIu64 " errors were found on the image.\nData may be corrupted, or "
		       "further writes to the image may corrupt it.\n", r.corruptions);
	if (r.leaks)
		printf("\n%" PRIu64 " leaked clusters were found on the image.\nThis means waste of "
		       "disk space, but no harm to data.\n", r.leaks);
	if (r.total_clusters)
		printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% "
		       "compressed clusters\n", r.allocated_clusters, r.total_clusters,
		       r.allocated_clusters * 100.0 / r.total_clusters,
		       r.allocated_clusters ? r.fragmented_clusters * 100.0 / r.allocated_clusters : 0,
		       r.allocated_clusters ? r.compressed_clusters * 100.0 / r.allocated_clusters : 0);
	printf("Image end offset: %" PRIu64 "\n", r.image_end_offset);
	block_close(bd);
	if (r.corruptions)
		return CHECK_EXIT_CORRUPT;
	if (r.leaks)
		return CHECK_EXIT_LEAKS;
	return 0;
}

/* ---- convert ---- */

/* -p: how far the copy has come, on one line rewritten in place */
static void progress(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	printf("    (%.2f/100%%)\r", total ? done * 100.0 / total : 100.0);
	fflush(stdout);
}

static int img_convert(int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct block_open_opts so = { .read_only = true }, dopts = { 0 };
	struct block_convert_opts co = { 0 };
	struct block_create_opts o = { 0 };
	const char *ofmt = "raw";
	struct block_dev *src = NULL, *dst = NULL;
	bool prog = false;
	int c, rc = 0;

	optind = 1;
	while ((c = next_opt(argc, argv, "+:f:O:o:cph", longopts, &rc)) != -1) {
		switch (c) {
		case 'f': so.format = optarg; break;
		case 'O': ofmt = optarg; break;
		case 'o':
			rc = parse_create_opts(optarg, &o);
			if (rc)
				return rc;
			break;
		case 'c': co.compress = true; break;
		case 'p': prog = true; break;
		case 'h': fputs(img_help, stdout); return 0;
		default: return rc;
		}
	}
	if (!fmt_ok(so.format, &rc) || !fmt_ok(ofmt, &rc))
		return rc;
	if (optind != argc - 2)
		return cli_usage_error(&img_report, "convert: expected SRC and DST");
	if (co.compress && strcmp(ofmt, "qcow2"))
		return cli_usage_error(&img_report, "convert: -c needs -O qcow2");
	co.progress = prog ? progress : NULL;
	dopts.format = ofmt;
	if (block_open(&src, argv[optind], &so))
		return fail();
	if (block_create(argv[optind + 1], ofmt, src->size, &o) ||
	    block_open(&dst, argv[optind + 1], &dopts) || block_convert(src, dst, &co)) {
		if (prog)
			printf("\n");
		rc = fail();
	} else if (prog) {
		printf("    (100.00/100%%)\n");
	}
	block_close(dst);
	block_close(src);
	return rc;
}

/* ---- snapshot ---- */

static int img_snapshot(int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct block_open_opts bo = { .no_backing = true };
	struct block_snapshot *sn;
	struct block_dev *bd;
	const char *name = NULL;
	unsigned n;
	int c, rc = 0, op = 0, err;

	optind = 1;
	while ((c = next_opt(argc, argv, "+:lc:a:d:f:h", longopts, &rc)) != -1) {
		switch (c) {
		case 'l': case 'c': case 'a': case 'd':
			if (op)
				return cli_usage_error(&img_report,
						       "snapshot: give one of -l, -c, -a, -d");
			op = c;
			name = optarg;
			break;
		case 'f': bo.format = optarg; break;
		case 'h': fputs(img_help, stdout); return 0;
		default: return rc;
		}
	}
	if (!fmt_ok(bo.format, &rc))
		return rc;
	if (!op)
		return cli_usage_error(&img_report,
				       "snapshot: give one of -l, -c NAME, -a NAME, -d NAME");
	if (optind != argc - 1)
		return cli_usage_error(&img_report, "snapshot: expected one FILE");
	bo.read_only = op == 'l';
	if (block_open(&bd, argv[optind], &bo))
		return fail();
	switch (op) {
	case 'l':
		err = block_snapshot_list(bd, &sn, &n);
		if (!err) {
			if (n) {
				printf("Snapshot list:\n");
				snapshot_table(sn, n);
			}
			block_snapshots_free(sn, n);
		}
		break;
	case 'c': err = block_snapshot_create(bd, name); break;
	case 'a': err = block_snapshot_apply(bd, name); break;
	default: err = block_snapshot_delete(bd, name); break;
	}
	if (err) {
		rc = fail();
		block_close(bd);
		return rc;
	}
	block_close(bd);
	return 0;
}

/* ---- resize ---- */

static int img_resize(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "shrink", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct block_open_opts bo = { 0 };
	struct block_dev *bd;
	const char *arg;
	uint64_t n, size;
	bool shrink = false, quiet = false;
	int c, rc = 0, sign = 0;

	if (argc < 2 || !strcmp(argv[argc - 1], "-h") || !strcmp(argv[argc - 1], "--help")) {
		if (argc < 2)
			return cli_usage_error(&img_report, "resize: expected FILE and SIZE");
		fputs(img_help, stdout);
		return 0;
	}
	/* the size is the last argument, taken before the options: "-1G" is not one (as qemu-img) */
	arg = argv[--argc];
	optind = 1;
	while ((c = next_opt(argc, argv, ":f:qh", longopts, &rc)) != -1) {
		switch (c) {
		case 's': shrink = true; break;
		case 'f': bo.format = optarg; break;
		case 'q': quiet = true; break;
		case 'h': fputs(img_help, stdout); return 0;
		default: return rc;
		}
	}
	if (!fmt_ok(bo.format, &rc))
		return rc;
	if (optind != argc - 1)
		return cli_usage_error(&img_report, "resize: expected FILE and SIZE");
	if (*arg == '+' || *arg == '-')
		sign = *arg++ == '+' ? 1 : -1;
	if (size_parse(arg, 0, &n))
		return cli_usage_error(&img_report, "resize: %s", error_msg());
	if (block_open(&bd, argv[optind], &bo))
		return fail();
	if (sign > 0 && n > (uint64_t)INT64_MAX - bd->size)
		size = (uint64_t)INT64_MAX + 1;		/* refused below as too large */
	else
		size = sign > 0 ? bd->size + n : sign < 0 ? bd->size - n : n;
	if ((sign < 0 && n >= bd->size) || !size) {
		fprintf(stderr, "gasang img: resize: the new size must be positive (%s is %" PRIu64
			" bytes)\n", bd->filename, bd->size);
		block_close(bd);
		return CLI_EXIT_USAGE;
	}
	if (size > (uint64_t)INT64_MAX) {
		fprintf(stderr, "gasang img: resize: the new size is too large (at most %" PRId64
			" bytes)\n", INT64_MAX);
		block_close(bd);
		return CLI_EXIT_USAGE;
	}
	if (size < bd->size && !shrink) {
		fprintf(stderr, "gasang img: resize: %" PRIu64 " bytes is smaller than %s (%" PRIu64
			" bytes); use --shrink to shrink it\n", size, bd->filename, bd->size);
		block_close(bd);
		return CLI_EXIT_USAGE;
	}
	if (block_resize(bd, size) || block_flush(bd)) {
		rc = fail();
		block_close(bd);
		return rc;
	}
	block_close(bd);
	if (!quiet)
		printf("Image resized.\n");
	return 0;
}

int cmd_img(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "create", img_create }, { "info", img_info }, { "check", img_check },
		{ "convert", img_convert }, { "snapshot", img_snapshot }, { "resize", img_resize },
	};
	unsigned i;

	opterr = 0;
	if (argc < 2)
		return cli_usage_error(&img_report,
				       "missing command: create, info, check, convert, snapshot or "
				       "resize");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(img_help, stdout);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	return cli_usage_error(&img_report, "unknown command '%s'", argv[1]);
}
