#include "daemon/metrics-http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/error.h"
#include "base/stream.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/metrics.h"

struct scrape {
	struct metrics_http *h;
	struct stream s;
	struct loop_timer timer;
	struct scrape *next;
	bool answered;			/* the request was read: what is left is writing */
	bool gathering;			/* metrics_collect has not called back */
	bool gone;			/* closed while gathering: freed when it calls back */
	struct loop_deferred free_d;
};

struct metrics_http {
	struct daemon *d;
	int fd;
	struct loop_watch w;
	struct scrape *scrapes;
	size_t n;
};

static void scrape_free(void *opaque)
{
	free(opaque);
}

static void scrape_close(struct scrape *sc)
{
	struct metrics_http *h = sc->h;
	struct scrape **p;

	for (p = &h->scrapes; *p; p = &(*p)->next) {
		if (*p == sc) {
			*p = sc->next;
			h->n--;
			break;
		}
	}
	loop_timer_stop(&h->d->loop, &sc->timer);
	stream_close(&sc->s);
	if (sc->gathering)
		sc->gone = true;
	else
		loop_defer(&h->d->loop, &sc->free_d, scrape_free, sc);
}

static void respond(struct scrape *sc, const char *status, const char *type, const char *body)
{
	char head[256];
	size_t len = strlen(body);

	snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n", status, type, len);
	if (stream_write(&sc->s, head, strlen(head)) || stream_write(&sc->s, body, len)) {
		scrape_close(sc);
		return;
	}
	stream_shutdown_write(&sc->s);
}

static void gathered(void *opaque, char *text)
{
	struct scrape *sc = opaque;

	sc->gathering = false;
	if (sc->gone)
		free(sc);
	else if (text)
		respond(sc, "200 OK", "text/plain; version=0.0.4; charset=utf-8", text);
	else
		respond(sc, "500 Internal Server Error", "text/plain", "out of memory\n");
	free(text);
}

/* The request line: "GET /metrics HTTP/1.1" (a query string is fine). */
static void request(struct scrape *sc, const char *line)
{
	char method[16], target[256];

	sc->answered = true;
	stream_discard_input(&sc->s, METRICS_HTTP_REQUEST_MAX);
	if (sscanf(line, "%15s %255s", method, target) != 2) {
		respond(sc, "400 Bad Request", "text/plain", "bad request\n");
		return;
	}
	target[strcspn(target, "?")] = '\0';
	if (strcmp(target, "/metrics")) {
		respond(sc, "404 Not Found", "text/plain", "gasangd serves /metrics\n");
		return;
	}
	if (strcmp(method, "GET")) {
		respond(sc, "405 Method Not Allowed", "text/plain", "GET only\n");
		return;
	}
	sc->gathering = true;
	metrics_collect(sc->h->d, gathered, sc);
}

static void input(struct stream *s)
{
	struct scrape *sc = s->opaque;
	char *end, *eol;

	if (sc->answered)
		return;
	end = memmem(s->in, s->in_len, "\r\n\r\n", 4);
	if (!end)
		end = memmem(s->in, s->in_len, "\n\n", 2);
	if (!end) {
		if (s->in_len >= METRICS_HTTP_REQUEST_MAX)
			respond(sc, "431 Request Header Fields Too Large", "text/plain", "too big\n");
		return;
	}
	eol = memchr(s->in, '\n', s->in_len);
	*eol = '\0';
	request(sc, s->in);
}

/* The client sends no more: fine once its request came (the answer still goes out). */
static void eof(struct stream *s)
{
	struct scrape *sc = s->opaque;

	if (!sc->answered)
		scrape_close(sc);
}

static void gone(struct stream *s)
{
	scrape_close(s->opaque);
}

static void drained(struct stream *s)
{
	struct scrape *sc = s->opaque;

	/* answered and written: done */
	if (sc->answered && !sc->gathering && !stream_queued(s))
		scrape_close(sc);
}

static const struct stream_ops scrape_ops = {
	.input = input,
	.eof = eof,
	.failed = gone,
	.drained = drained,
};

static void too_slow(void *opaque)
{
	scrape_close(opaque);
}

static void on_accept(void *opaque, uint32_t events)
{
	struct metrics_http *h = opaque;
	struct scrape *sc;
	int fd;

	(void)events;
	while ((fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		sc = h->n < METRICS_HTTP_CONNS ? calloc(1, sizeof(*sc)) : NULL;
		if (!sc) {
			close(fd);
			continue;
		}
		sc->h = h;
		if (stream_open(&sc->s, &h->d->loop, fd, METRICS_HTTP_REQUEST_MAX, 64u << 20,
				&scrape_ops, sc)) {
			free(sc);
			continue;
		}
		sc->next = h->scrapes;
		h->scrapes = sc;
		h->n++;
		loop_timer_start(&h->d->loop, &sc->timer, METRICS_HTTP_TIMEOUT_MS, too_slow, sc);
	}
}

/* "HOST:PORT" or "[HOST]:PORT" into its parts. */
static int split(const char *hp, char *host, size_t hn, const char **port)
{
	const char *colon;

	if (hp[0] == '[') {
		colon = strstr(hp, "]:");
		if (!colon || (size_t)(colon - hp - 1) >= hn)
			return -EINVAL;
		snprintf(host, hn, "%.*s", (int)(colon - hp - 1), hp + 1);
		*port = colon + 2;
	} else {
		colon = strrchr(hp, ':');
		if (!colon || (size_t)(colon - hp) >= hn)
			return -EINVAL;
		snprintf(host, hn, "%.*s", (int)(colon - hp), hp);
		*port = colon + 1;
	}
	return **port ? 0 : -EINVAL;
}

int metrics_http_start(struct daemon *d, const char *host_port, struct metrics_http **out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	struct metrics_http *h;
	const char *port;
	char host[256];
	int fd, err, one = 1;

	if (split(host_port, host, sizeof(host), &port))
		return error_set(-EINVAL, "--metrics-listen %s: expected HOST:PORT", host_port);
	err = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (err)
		return error_set(-EINVAL, "--metrics-listen %s: %s", host_port, gai_strerror(err));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
		err = error_errno(-errno, "--metrics-listen %s: cannot listen", host_port);
		freeaddrinfo(ai);
		if (fd >= 0)
			close(fd);
		return err;
	}
	freeaddrinfo(ai);
	h = calloc(1, sizeof(*h));
	if (!h || loop_watch(&d->loop, &h->w, fd, EPOLLIN, on_accept, h)) {
		free(h);
		close(fd);
		return error_set(-ENOMEM, "out of memory");
	}
	h->d = d;
	h->fd = fd;
	*out = h;
	return 0;
}

void metrics_http_stop(struct metrics_http *h)
{
	if (!h)
		return;
	while (h->scrapes)
		scrape_close(h->scrapes);
	loop_unwatch(&h->d->loop, &h->w);
	close(h->fd);
	free(h);
}
