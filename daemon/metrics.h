/*
 * Metrics in Prometheus' text exposition format (version 0.0.4): per guest
 * (VMs and containers, labelled name and type) its state, CPU seconds,
 * memory in use and allowed, each disk's bytes and operations read and
 * written, each NIC's bytes and packets received and sent; per host the
 * guests by type and state, and the networks by state. Served by the
 * "metrics" op (`gasang metrics`) and, with --metrics-listen, over HTTP at
 * /metrics (metrics-http.h).
 *
 * Gathering asks each running guest what domain_info asks it (its status
 * and stats, through its control socket), all at once; the text is made
 * when the last one answered (or failed: a guest that does not answer has
 * only its state).
 */
#ifndef DAEMON_METRICS_H
#define DAEMON_METRICS_H

#include <jansson.h>

struct daemon;

/* text: malloc'd, the callee's to free (NULL: out of memory). */
typedef void (*metrics_done_fn)(void *opaque, char *text);

/* Gather and render; done is called once, maybe before this returns. */
void metrics_collect(struct daemon *d, metrics_done_fn done, void *opaque);

/*
 * The text from what was gathered: guests, info objects as the "info" op
 * answers them; networks, summaries as "net-list" has them. malloc'd.
 */
char *metrics_render(const json_t *guests, const json_t *networks);

#endif
