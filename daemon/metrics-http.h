/*
 * `gasangd --metrics-listen HOST:PORT`: the metrics (metrics.h) over HTTP,
 * as Prometheus scrapes them: GET /metrics answers 200 with the text
 * (Content-Type: text/plain; version=0.0.4), any other path 404, any other
 * method 405; one request per connection. Like the API's clients, a scraper
 * never holds up the daemon: non-blocking sockets on its loop, a request of
 * at most METRICS_HTTP_REQUEST_MAX bytes within METRICS_HTTP_TIMEOUT_MS, at
 * most METRICS_HTTP_CONNS at once. Nothing it serves changes anything.
 */
#ifndef DAEMON_METRICS_HTTP_H
#define DAEMON_METRICS_HTTP_H

#define METRICS_HTTP_REQUEST_MAX	8192
#define METRICS_HTTP_TIMEOUT_MS		10000
#define METRICS_HTTP_CONNS		64

struct daemon;
struct metrics_http;

/* Listen at "HOST:PORT" ("[::1]:9100" for IPv6): 0, or -errno with a message. */
int metrics_http_start(struct daemon *d, const char *host_port, struct metrics_http **out);
void metrics_http_stop(struct metrics_http *h);

#endif
