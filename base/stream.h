/*
 * A non-blocking byte stream on the loop (a unix socket): what arrives is
 * gathered in an input buffer for the owner to consume, what the owner writes
 * is queued and sent as the peer takes it. gasangd's API clients, its
 * connections to VMs' control sockets and console relays are streams, and so
 * are the clients of a VM's control socket.
 *
 * Callbacks (any may be NULL):
 *   input(s)    bytes arrived (s->in, s->in_len); consume with stream_consume()
 *   eof(s)      the peer will send nothing more (reading has stopped)
 *   failed(s)   the connection broke: the stream is closed already
 *   drained(s)  everything queued has been written
 * The owner closes the stream (stream_close) and frees it through loop_defer.
 */
#ifndef BASE_STREAM_H
#define BASE_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "base/loop.h"

/* descriptors held for the owner; more passed before it takes them are closed */
#define STREAM_FDS_MAX	4

struct stream;

struct stream_ops {
	void (*input)(struct stream *s);
	void (*eof)(struct stream *s);
	void (*failed)(struct stream *s);
	void (*drained)(struct stream *s);
};

struct stream {
	struct loop *loop;
	struct loop_watch w;
	int fd;			/* -1: closed */
	int passed_fd;		/* the last descriptor the peer sent (SCM_RIGHTS), or -1 */
	char *in;
	size_t in_len, in_cap;
	size_t in_max;		/* reading pauses while this much is unconsumed */
	char *out;
	size_t out_off, out_len, out_cap;
	size_t out_max;		/* stream_write past this fails (-ENOBUFS) */
	bool reading;		/* the owner wants input */
	bool rd_eof;		/* the peer sent end-of-file */
	bool eof_told;		/* ops->eof was called */
	bool hup;		/* the peer hung up: watched only while there is work */
	bool shut_wr;		/* shutdown(SHUT_WR) once the queue is written */
	bool discarding;	/* input is read and dropped */
	size_t discarded, discard_max;
	bool take_fds;		/* descriptors the peer passes (SCM_RIGHTS) are kept */
	int fds[STREAM_FDS_MAX];	/* those received, oldest first */
	unsigned nfds;
	const struct stream_ops *ops;
	void *opaque;
};

/* Take fd (non-blocking, owned by the stream from now on); reading starts. */
int stream_open(struct stream *s, struct loop *l, int fd, size_t in_max, size_t out_max,
		const struct stream_ops *ops, void *opaque);
/* Queue bytes: 0, -ENOBUFS past out_max, -EPIPE when closed. */
int stream_write(struct stream *s, const void *buf, size_t len);
/*
 * The newest descriptor the peer sent with its bytes (SCM_RIGHTS), now the
 * caller's to close; -1 when none came. Unclaimed ones close with the stream.
 */
int stream_take_fd(struct stream *s);
/* Drop the first n input bytes. */
void stream_consume(struct stream *s, size_t n);
void stream_set_reading(struct stream *s, bool on);
/*
 * From now on read and drop what arrives, with no more input callbacks: the
 * peer may still be sending the rest of something refused, and closing with
 * its bytes unread would reset the connection before it reads why. Past max
 * bytes dropped the stream fails.
 */
void stream_discard_input(struct stream *s, size_t max);
/*
 * Keep the descriptors the peer passes with its bytes (SCM_RIGHTS, on a unix
 * socket) for stream_take_fd(); without this they are closed as they come.
 */
void stream_take_fds(struct stream *s);
/* The oldest descriptor passed and not yet taken (the caller's now), or -1. */
int stream_take_fd(struct stream *s);
/* Send end-of-file once everything queued is written. */
void stream_shutdown_write(struct stream *s);
size_t stream_queued(const struct stream *s);
bool stream_is_open(const struct stream *s);
/* Close the descriptor now; no more callbacks. Buffers and descriptors not taken are freed. */
void stream_close(struct stream *s);

#endif
