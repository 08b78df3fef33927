#include "net/net.h"

#include <errno.h>

#include "base/error.h"

int net_backend_open(struct net_backend **out, const struct net_opts *o)
{
	switch (o->kind) {
	case NET_USER: return net_slirp_open(out, o);
	case NET_TAP: return net_tap_open(out, o);
	case NET_STREAM: return net_stream_open(out, o);
	}
	return error_set(-EINVAL, "unknown network backend");
}

int net_backend_attach(struct net_backend *be, struct loop *loop, net_receive_cb receive,
		       void *opaque)
{
	be->loop = loop;
	be->receive = receive;
	be->opaque = opaque;
	return be->ops->attach ? be->ops->attach(be) : 0;
}

void net_backend_destroy(struct net_backend *be)
{
	if (be)
		be->ops->destroy(be);
}
