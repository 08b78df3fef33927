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
	bool take_fds;		/* keep a descriptor the peer passes (SCM_RIGHTS); else closed */
	int passed_fd;		/* the last one passed, not yet taken; -1: none */
	size_t discarded, discard_max;
	const struct stream_ops *ops;
	void *opaque;
};

/* Take fd (non-blocking, owned by the stream from now on); reading starts. */
int stream_open(struct stream *s, struct loop *l, int fd, size_t in_max, size_t out_max,
		const struct stream_ops *ops, void *opaque);
/*
 * The descriptor the peer passed last with its bytes (SCM_RIGHTS, when
 * take_fds is set), now the caller's; -1: none. One passed before it and not
 * taken was closed.
 */
int stream_take_fd(struct stream *s);
/* Queue bytes: 0, -ENOBUFS past out_max, -EPIPE when closed. */
int stream_write(struct stream *s, const void *buf, size_t len);
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
/* Send end-of-file once everything queued is written. */
void stream_shutdown_write(struct stream *s);
size_t stream_queued(const struct stream *s);
bool stream_is_open(const struct stream *s);
/* Close the descriptor now; no more callbacks. Buffers are freed. */
void stream_close(struct stream *s);

#endif
