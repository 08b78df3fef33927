/* The "metrics" op: the Prometheus text (metrics.h) as {"text": ...}. */
#include <stdlib.h>

#include "daemon/api-call.h"
#include "daemon/metrics.h"
#include "daemon/request.h"
#include "daemon/server.h"

static void metrics_done(void *opaque, char *text)
{
	struct reply_to *r = opaque;

	if (text)
		reply_ok(r, json_pack("{s:s}", "text", text));
	else
		reply_error(r, E_FAILED, "out of memory");
	free(text);
}

static void op_metrics(struct call *k)
{
	struct reply_to *r = reply_later(k);

	if (r)
		metrics_collect(k->d, metrics_done, r);
}

const struct api_op api_metrics_ops[] = {
	{ "metrics", OP_READONLY, (const char *const[]){ NULL }, op_metrics },
	{ NULL, 0, NULL, NULL },
};
