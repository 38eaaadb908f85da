// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control API server: a Unix stream socket on the I/O thread.  Every
 * client is non-blocking and edge-triggered: reads drain to EAGAIN, lines
 * are answered as they complete, and output that the peer does not take is
 * buffered up to API_OUT_MAX, beyond which the client is dropped.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "api_proto.h"
#include "pci_hotplug.h"
#include "platform.h"
#include "vm.h"

#define API_OUT_MAX (1024 * 1024)

struct api_server;

struct api_client {
	struct api_client *next;
	struct api_server *srv;
	int fd;
	bool events; /* subscribed with verb "events" */
	bool dead; /* closed: freed at the end of the callback */
	char *in; /* API_LINE_MAX + 1 bytes */
	size_t in_len;
	char *out;
	size_t out_len;
};

/*
 * A request answered later: remove-device and failover-unplug answer when
 * the event that says the guest let go (@event for device @dev) comes, or
 * with an error when @timer_fd fires first.
 */
struct api_waiter {
	struct api_waiter *next;
	struct api_server *srv;
	struct api_client *client;
	int64_t req_id;
	enum api_verb verb;
	char event[32];
	char dev[API_DEV_ID_MAX];
	unsigned int timeout_ms;
	int timer_fd;
};

struct api_server {
	struct vm *vm;
	int fd;
	uid_t owner;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct api_client *clients;
	unsigned int nr_clients;
	/*
	 * Closed clients wait here until no callback of the server is on the
	 * stack (@depth 0): an event can close a client while another one's
	 * request is being dispatched.
	 */
	struct api_client *dead;
	unsigned int depth;
	struct api_waiter *waiters;
	struct api_hooks hooks;
};

static void waiter_free(struct api_waiter *w)
{
	struct api_waiter **pp;

	for (pp = &w->srv->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	if (w->timer_fd >= 0) {
		vm_io_del(w->srv->vm, w->timer_fd);
		close(w->timer_fd);
	}
	free(w);
}

static void client_close(struct api_client *c)
{
	struct api_server *s = c->srv;
	struct api_client **pp;
	struct api_waiter *w, *n;

	if (c->dead)
		return;
	c->dead = true;
	vm_io_del(s->vm, c->fd);
	close(c->fd);
	c->fd = -1;
	for (pp = &s->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	s->nr_clients--;
	/* nobody to answer: the guest's eject still happens, the wait goes */
	for (w = s->waiters; w; w = n) {
		n = w->next;
		if (w->client == c)
			waiter_free(w);
	}
	c->next = s->dead;
	s->dead = c;
}

static void client_free(struct api_client *c)
{
	free(c->in);
	free(c->out);
	free(c);
}

/* Free the closed clients once no server callback is running. */
static void reap(struct api_server *s)
{
	if (s->depth)
		return;
	while (s->dead) {
		struct api_client *c = s->dead;

		s->dead = c->next;
		client_free(c);
	}
}

/* Write what is buffered; false when the client had to be closed. */
static bool client_flush(struct api_client *c)
{
	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return true;
			client_close(c);
			return false;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	return true;
}

/* Queue @line (consumed) and send what the socket takes. */
static void client_send(struct api_client *c, char *line)
{
	size_t len;
	char *p;

	if (!line || c->dead) {
		free(line);
		return;
	}
	len = strlen(line);
	if (c->out_len + len > API_OUT_MAX) {
		/* a client that does not read its events is not worth the memory */
		free(line);
		client_close(c);
		return;
	}
	p = realloc(c->out, c->out_len + len);
	if (!p) {
		free(line);
		client_close(c);
		return;
	}
	memcpy(p + c->out_len, line, len);
	c->out = p;
	c->out_len += len;
	free(line);
	client_flush(c);
}

/* To every subscriber (one closed on the way goes to s->dead). */
static void broadcast_event(struct api_server *s, const char *name, struct json_object *fields)
{
	struct api_client *c, *n;

	for (c = s->clients; c; c = n) {
		n = c->next;
		if (!c->events)
			continue;
		client_send(c, api_event(name, fields ? json_object_get(fields) : NULL));
	}
	json_object_put(fields);
}

static struct json_object *device_result(const char *id)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "device", json_object_new_string(id));
	return r;
}

/* vm_event(): to the subscribers, and it may be what a waiter waits for. */
static void on_vm_event(void *opaque, const char *name, const char *id, const char *detail)
{
	struct api_server *s = opaque;
	struct json_object *f = json_object_new_object();
	struct api_waiter *w, *n;

	s->depth++;
	if (id)
		json_object_object_add(f, "device", json_object_new_string(id));
	if (detail)
		json_object_object_add(f, "detail", json_object_new_string(detail));
	broadcast_event(s, name, f);
	for (w = s->waiters; w && id; w = n) {
		n = w->next;
		if (strcmp(w->event, name) || strcmp(w->dev, id))
			continue;
		client_send(w->client, api_response_ok(w->req_id, device_result(id)));
		waiter_free(w);
	}
	s->depth--;
	reap(s);
}

static void on_waiter_timeout(int fd, uint32_t events, void *opaque)
{
	struct api_waiter *w = opaque;
	struct api_server *s = w->srv;
	uint64_t n;
	char msg[256];

	(void)events;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	s->depth++;
	snprintf(msg, sizeof(msg),
		 "%s %s: the guest has not let go of it within %.1f s; the request stays "
		 "(it may still eject it: watch events), or quit the VM",
		 api_verb_name(w->verb), w->dev, w->timeout_ms / 1000.0);
	client_send(w->client, api_response_error(true, w->req_id, msg));
	waiter_free(w);
	s->depth--;
	reap(s);
}

/* Answer @rq when event @event comes for @dev, or say so after its timeout. */
static void wait_for(struct api_client *c, const struct api_request *rq, const char *event,
		     const char *dev)
{
	struct api_server *s = c->srv;
	struct itimerspec its = {.it_value = {.tv_sec = rq->timeout_ms / 1000,
					      .tv_nsec = (long)(rq->timeout_ms % 1000) * 1000000L}};
	struct api_waiter *w = calloc(1, sizeof(*w));
	char msg[160];

	if (w) {
		w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (w->timer_fd < 0 || timerfd_settime(w->timer_fd, 0, &its, NULL) < 0 ||
		    vm_io_add(s->vm, w->timer_fd, EPOLLIN, on_waiter_timeout, w, NULL) < 0) {
			snprintf(msg, sizeof(msg), "%s %s: cannot start its timeout: %s",
				 api_verb_name(rq->verb), dev, strerror(errno));
			if (w->timer_fd >= 0)
				close(w->timer_fd);
			free(w);
			client_send(c, api_response_error(true, rq->id, msg));
			return;
		}
	} else {
		client_send(c, api_response_error(true, rq->id, "out of memory"));
		return;
	}
	w->srv = s;
	w->client = c;
	w->req_id = rq->id;
	w->verb = rq->verb;
	w->timeout_ms = rq->timeout_ms;
	snprintf(w->event, sizeof(w->event), "%s", event);
	snprintf(w->dev, sizeof(w->dev), "%s", dev);
	w->next = s->waiters;
	s->waiters = w;
}

static struct json_object *info_result(struct api_server *s)
{
	struct vm *vm = s->vm;
	struct json_object *r = json_object_new_object(), *devs = json_object_new_array();

	json_object_object_add(r, "state",
			       json_object_new_string(vm_paused(vm) ? "paused" : "running"));
	json_object_object_add(r, "vcpus", json_object_new_int((int)vm->nr_vcpus));
	json_object_object_add(r, "memory", json_object_new_int64((int64_t)vm->cfg.mem_size));
	/* devices change only on this thread: no lock needed to read the slots here */
	for (int i = 0; i < PCI_MAX_SLOTS; i++) {
		struct pci_dev *d = vm->pci.dev[i];
		struct json_object *o;
		const char *kind;
		char bdf[16];

		if (!d || (d->kind != PCI_DEV_VIRTIO && d->kind != PCI_DEV_VFIO))
			continue;
		pci_dev_guest_bdf(d, bdf, sizeof(bdf));
		kind = d->kind == PCI_DEV_VFIO ? "vfio" : d->name;
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(d->id));
		json_object_object_add(o, "kind", json_object_new_string(kind));
		json_object_object_add(o, "guest_bdf", json_object_new_string(bdf));
		if (d->port) {
			char link[48];

			/* the root port in front of it, and the link it shows (the host's) */
			snprintf(bdf, sizeof(bdf), "0000:00:%02x.0", (unsigned int)d->slot);
			json_object_object_add(o, "root_port", json_object_new_string(bdf));
			snprintf(link, sizeof(link), "%s x%u", pcie_speed_name(d->port_link.speed),
				 d->port_link.width);
			json_object_object_add(o, "link", json_object_new_string(link));
		}
		if (d->kind == PCI_DEV_VFIO) {
			const char *sp = strrchr(d->name, ' ');

			json_object_object_add(o, "host_bdf",
					       json_object_new_string(sp ? sp + 1 : d->name));
		}
		if (pci_hotplug__unplug_pending(vm, d))
			json_object_object_add(o, "unplug", json_object_new_string("requested"));
		if (s->hooks.describe)
			s->hooks.describe(s->hooks.opaque, d, o);
		json_object_array_add(devs, o);
	}
	json_object_object_add(r, "devices", devs);
	return r;
}

static struct json_object *state_result(const char *state)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "state", json_object_new_string(state));
	return r;
}

/* Every event a subscriber may see (docs/api.md). */
static const char *const api_event_names[] = {
	"paused",
	"resumed",
	"powerdown",
	"shutdown",
	"device-added",
	"unplug-requested",
	"device-removed",
	"device-req",
	"failover-negotiated",
	"failover-unplugged",
	"failover-replugged",
	"guest-reset",
	"snapshot-saved",
	"migration-progress",
	"migration-completed",
	"migration-failed",
	"migration-cancelled",
	NULL,
};

static void reply_error(struct api_client *c, const struct api_request *rq, struct errinfo *e)
{
	char msg[sizeof(e->msg) + sizeof(e->hint) + 8];

	if (e->hint[0])
		snprintf(msg, sizeof(msg), "%s (%s)", e->msg, e->hint);
	else
		snprintf(msg, sizeof(msg), "%s", e->msg);
	client_send(c, api_response_error(true, rq->id, msg));
}

/* add-device, remove-device, failover-unplug, failover-replug */
static void dispatch_devices(struct api_client *c, const struct api_request *rq)
{
	struct api_server *s = c->srv;
	const char *verb = api_verb_name(rq->verb);
	struct errinfo e = {0};
	char id[API_DEV_ID_MAX] = "";
	struct pci_dev *d;
	int ret;

	switch (rq->verb) {
	case API_VERB_ADD_DEVICE:
		if (!s->hooks.add_device) {
			err_set(&e, ENOTSUP, "add-device: this VM cannot add devices");
			break;
		}
		ret = s->hooks.add_device(s->hooks.opaque,
					  rq->kind == API_DEV_AUTO ? api_spec_kind(rq->spec)
								   : rq->kind,
					  rq->spec, id, &e);
		if (ret < 0)
			break;
		client_send(c, api_response_ok(rq->id, device_result(id)));
		return;
	case API_VERB_REMOVE_DEVICE:
		d = vm_pci_find(s->vm, rq->device);
		if (!d) {
			err_set(&e, ENOENT, "remove-device: no device has id '%s'", rq->device);
			err_hint(&e, "vfvm ctl PATH info lists the devices");
			break;
		}
		if (pci_hotplug__unplug_pending(s->vm, d)) {
			err_set(&e, EALREADY, "remove-device %s: its removal is under way already",
				rq->device);
			break;
		}
		if (pci_hotplug__request_unplug(s->vm, d, &e) < 0)
			break;
		wait_for(c, rq, "device-removed", rq->device);
		return;
	case API_VERB_FAILOVER_UNPLUG:
	case API_VERB_FAILOVER_REPLUG:
		if (!s->hooks.failover) {
			err_set(&e, ENOTSUP, "%s: this VM has no failover pair", verb);
			break;
		}
		ret = s->hooks.failover(s->hooks.opaque, rq->device,
					rq->verb == API_VERB_FAILOVER_REPLUG, &e);
		if (ret < 0)
			break;
		if (rq->verb == API_VERB_FAILOVER_UNPLUG)
			wait_for(c, rq, "failover-unplugged", rq->device);
		else
			client_send(c, api_response_ok(rq->id, device_result(rq->device)));
		return;
	default:
		return;
	}
	reply_error(c, rq, &e);
}

/*
 * snapshot: the VM is paused for the write (and stays paused unless
 * "resume"); a failed write leaves it as it was before the request.
 */
static void dispatch_snapshot(struct api_client *c, const struct api_request *rq)
{
	struct api_server *s = c->srv;
	bool was_paused = vm_paused(s->vm);
	struct errinfo e = {0};
	struct json_object *r;
	struct timespec t0, t1;
	uint64_t bytes = 0;
	int ret;

	if (!s->hooks.snapshot) {
		err_set(&e, ENOTSUP, "snapshot: this VM cannot be saved");
		reply_error(c, rq, &e);
		return;
	}
	if (!was_paused && vm_pause(s->vm) == -EAGAIN) {
		client_send(
			c, api_response_error(true, rq->id, "snapshot: the vCPUs are not running"));
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = s->hooks.snapshot(s->hooks.opaque, rq->dir, &bytes, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret < 0) {
		if (!was_paused)
			vm_resume(s->vm);
		reply_error(c, rq, &e);
		return;
	}
	if (rq->resume && vm_paused(s->vm))
		vm_resume(s->vm);
	r = json_object_new_object();
	json_object_object_add(r, "dir", json_object_new_string(rq->dir));
	json_object_object_add(r, "state",
			       json_object_new_string(vm_paused(s->vm) ? "paused" : "running"));
	json_object_object_add(r, "memory_bytes", json_object_new_int64((int64_t)bytes));
	json_object_object_add(r, "seconds",
			       json_object_new_double((double)(t1.tv_sec - t0.tv_sec) +
						      (t1.tv_nsec - t0.tv_nsec) / 1e9));
	client_send(c, api_response_ok(rq->id, r));
	vm_event(s->vm, "snapshot-saved", NULL, rq->dir);
	if (!was_paused && !rq->resume)
		broadcast_event(s, "paused", NULL);
}

/* migrate, migrate-status, migrate-cancel: the front end's hooks do the work. */
static void dispatch_migrate(struct api_client *c, const struct api_request *rq)
{
	struct api_server *s = c->srv;
	const char *verb = api_verb_name(rq->verb);
	struct errinfo e = {0};
	struct json_object *r;

	if (!s->hooks.migrate || !s->hooks.migrate_status || !s->hooks.migrate_cancel) {
		err_set(&e, ENOTSUP, "%s: this VM cannot migrate", verb);
		reply_error(c, rq, &e);
		return;
	}
	switch (rq->verb) {
	case API_VERB_MIGRATE:
	case API_VERB_UPGRADE:
		if (s->hooks.migrate(s->hooks.opaque, rq->uri, rq->downtime_ms, rq->bandwidth_mbs,
				     rq->verb == API_VERB_UPGRADE, rq->postcopy, &e) < 0)
			break;
		/* the answer is the status of the migration just started */
		__attribute__((fallthrough));
	case API_VERB_MIGRATE_STATUS:
		r = json_object_new_object();
		s->hooks.migrate_status(s->hooks.opaque, r);
		client_send(c, api_response_ok(rq->id, r));
		return;
	case API_VERB_MIGRATE_CANCEL:
		if (s->hooks.migrate_cancel(s->hooks.opaque, &e) < 0)
			break;
		client_send(c, api_response_ok(rq->id, NULL));
		return;
	default:
		return;
	}
	reply_error(c, rq, &e);
}

/* A verb that changes the device set or saves the VM, while it must not. */
static bool refused_busy(struct api_client *c, const struct api_request *rq)
{
	struct api_server *s = c->srv;
	const char *why = s->hooks.busy ? s->hooks.busy(s->hooks.opaque) : NULL;
	char msg[256];

	if (!why)
		return false;
	snprintf(msg, sizeof(msg), "%s: %s", api_verb_name(rq->verb), why);
	client_send(c, api_response_error(true, rq->id, msg));
	return true;
}

static void dispatch(struct api_client *c, const struct api_request *rq)
{
	struct api_server *s = c->srv;
	struct vm *vm = s->vm;
	struct json_object *r;
	const char *why;
	int ret;

	switch (rq->verb) {
	case API_VERB_INFO:
		client_send(c, api_response_ok(rq->id, info_result(s)));
		return;
	case API_VERB_PAUSE:
		if (vm_paused(vm)) {
			client_send(c, api_response_ok(rq->id, state_result("paused")));
			return;
		}
		ret = vm_pause(vm);
		if (ret == -EAGAIN) {
			client_send(c, api_response_error(true, rq->id,
							  "pause: the vCPUs are not running"));
			return;
		}
		/* a vCPU slow to stop is still held as soon as it leaves KVM_RUN */
		client_send(c, api_response_ok(rq->id, state_result("paused")));
		broadcast_event(s, "paused", NULL);
		return;
	case API_VERB_RESUME:
		why = s->hooks.resume_refused ? s->hooks.resume_refused(s->hooks.opaque) : NULL;
		if (why) {
			char msg[256];

			snprintf(msg, sizeof(msg), "resume: %s", why);
			client_send(c, api_response_error(true, rq->id, msg));
			return;
		}
		if (!vm_paused(vm)) {
			client_send(c, api_response_ok(rq->id, state_result("running")));
			return;
		}
		vm_resume(vm);
		client_send(c, api_response_ok(rq->id, state_result("running")));
		broadcast_event(s, "resumed", NULL);
		return;
	case API_VERB_POWERDOWN:
		if (platform__power_button(vm) < 0) {
			client_send(c,
				    api_response_error(true, rq->id,
						       "powerdown: the guest has not enabled the "
						       "ACPI power button event"));
			return;
		}
		client_send(c, api_response_ok(rq->id, NULL));
		broadcast_event(s, "powerdown", NULL);
		return;
	case API_VERB_QUIT:
		client_send(c, api_response_ok(rq->id, NULL));
		vm_request_exit(vm, VM_EXIT_SIGNAL, "stopped by the control API (quit)");
		return;
	case API_VERB_ADD_DEVICE:
	case API_VERB_REMOVE_DEVICE:
	case API_VERB_FAILOVER_UNPLUG:
	case API_VERB_FAILOVER_REPLUG:
		if (!refused_busy(c, rq))
			dispatch_devices(c, rq);
		return;
	case API_VERB_SNAPSHOT:
		if (!refused_busy(c, rq))
			dispatch_snapshot(c, rq);
		return;
	case API_VERB_MIGRATE:
	case API_VERB_MIGRATE_STATUS:
	case API_VERB_MIGRATE_CANCEL:
	case API_VERB_UPGRADE:
		dispatch_migrate(c, rq);
		return;
	case API_VERB_EVENTS:
		c->events = true;
		r = json_object_new_object();
		json_object_object_add(r, "events", json_object_new_array());
		for (const char *const *n = api_event_names; *n; n++)
			json_object_array_add(json_object_object_get(r, "events"),
					      json_object_new_string(*n));
		client_send(c, api_response_ok(rq->id, r));
		return;
	case API_NR_VERBS:
		break;
	}
	client_send(c, api_response_error(true, rq->id, "unknown verb"));
}

static void handle_line(struct api_client *c, const char *line, size_t len)
{
	struct api_request rq;
	struct errinfo e = {0};

	if (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return;
	if (api_request_parse(line, len, &rq, &e) < 0) {
		client_send(c, api_response_error(rq.has_id, rq.id, e.msg));
		return;
	}
	dispatch(c, &rq);
}

static void on_client(int fd, uint32_t events, void *opaque)
{
	struct api_client *c = opaque;
	struct api_server *s = c->srv;

	(void)fd;
	s->depth++;
	if ((events & EPOLLOUT) && !client_flush(c))
		goto out;
	while (!c->dead) {
		ssize_t n =
			recv(c->fd, c->in + c->in_len, API_LINE_MAX + 1 - c->in_len, MSG_DONTWAIT);
		size_t start = 0;
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* gone, possibly mid-request: nothing to answer */
			client_close(c);
			break;
		}
		c->in_len += (size_t)n;
		while (!c->dead && (nl = memchr(c->in + start, '\n', c->in_len - start))) {
			handle_line(c, c->in + start, (size_t)(nl - (c->in + start)));
			start = (size_t)(nl - c->in) + 1;
		}
		if (c->dead)
			break;
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
		if (c->in_len > API_LINE_MAX) {
			char msg[96];

			snprintf(msg, sizeof(msg), "request line over the limit of %d bytes",
				 API_LINE_MAX);
			client_send(c, api_response_error(false, 0, msg));
			client_close(c);
		}
	}
out:
	s->depth--;
	reap(s);
}

static void refuse(int fd, const char *msg)
{
	char *line = api_response_error(false, 0, msg);

	if (line && send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* the client is being closed anyway */
	}
	free(line);
	close(fd);
}

static void on_accept(int fd, uint32_t events, void *opaque)
{
	struct api_server *s = opaque;
	struct errinfo e = {0};

	(void)events;
	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct api_client *c;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return; /* EAGAIN, or out of fds: try again on the next event */
		}
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    !api_peer_allowed(cred.uid, s->owner)) {
			refuse(cfd, "permission denied: only root or the socket's owner may "
				    "drive this VM");
			continue;
		}
		if (s->nr_clients >= API_MAX_CLIENTS) {
			refuse(cfd, "too many clients");
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c)
			c->in = malloc(API_LINE_MAX + 1);
		if (!c || !c->in) {
			if (c)
				free(c);
			refuse(cfd, "out of memory");
			continue;
		}
		c->srv = s;
		c->fd = cfd;
		if (vm_io_add(s->vm, cfd, EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP, on_client, c,
			      &e) < 0) {
			client_free(c);
			refuse(cfd, "cannot watch the connection");
			continue;
		}
		c->next = s->clients;
		s->clients = c;
		s->nr_clients++;
	}
}

/* vm_destroy(): threads are stopped; say why to the subscribers and go. */
static void api_server_stop(void *opaque)
{
	struct api_server *s = opaque;
	struct vm *vm = s->vm;
	struct json_object *f = json_object_new_object();
	struct api_client *c, *n;

	json_object_object_add(f, "status", json_object_new_int(vm->exit_status));
	json_object_object_add(f, "reason", json_object_new_string(vm->exit_reason));
	vm->event_cb = NULL;
	/* vfvm does not reboot a guest: a reset ends the VM, said before it goes */
	if (vm->exit_status == VM_EXIT_RESET)
		broadcast_event(s, "guest-reset", NULL);
	broadcast_event(s, "shutdown", f);
	for (c = s->clients; c; c = n) {
		n = c->next;
		client_close(c);
	}
	s->depth = 0;
	reap(s);
	if (s->fd >= 0) {
		vm_io_del(vm, s->fd);
		close(s->fd);
		unlink(s->path);
	}
	free(s);
}

/* @path: a socket no one answers on is stale and goes; anything else stays. */
static int clear_path(const char *path, struct errinfo *e)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_sys(e, errno, "--api-socket %s", path);
	if (!S_ISSOCK(st.st_mode))
		return err_set(e, EEXIST, "--api-socket %s: exists and is not a socket", path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(e, errno, "--api-socket %s: socket", path);
	ret = connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	if (ret == 0)
		return err_set(e, EADDRINUSE, "--api-socket %s: another VM is serving it", path);
	if (unlink(path) < 0)
		return err_sys(e, errno, "--api-socket %s: removing the stale socket", path);
	return 0;
}

int api_server_start(struct vm *vm, const char *path, const struct api_hooks *hooks,
		     struct errinfo *e)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct api_server *s;
	struct stat st;
	mode_t old;
	int ret;

	if (strlen(path) >= sizeof(a.sun_path))
		return err_set(e, ENAMETOOLONG, "--api-socket %s: path longer than %zu bytes", path,
			       sizeof(a.sun_path) - 1);
	ret = clear_path(path, e);
	if (ret)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, ENOMEM, "--api-socket %s: out of memory", path);
	s->vm = vm;
	if (hooks)
		s->hooks = *hooks;
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		ret = err_sys(e, errno, "--api-socket %s: socket", path);
		goto err_free;
	}
	/* 0600 from the start: no window where others could connect */
	old = umask(077);
	ret = bind(s->fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (ret < 0) {
		ret = err_sys(e, errno, "--api-socket %s: bind", path);
		goto err_close;
	}
	if (chmod(path, 0600) < 0 || stat(path, &st) < 0) {
		ret = err_sys(e, errno, "--api-socket %s", path);
		goto err_unlink;
	}
	s->owner = st.st_uid;
	if (listen(s->fd, API_MAX_CLIENTS) < 0) {
		ret = err_sys(e, errno, "--api-socket %s: listen", path);
		goto err_unlink;
	}
	ret = vm_io_add(vm, s->fd, EPOLLIN, on_accept, s, e);
	if (ret)
		goto err_unlink;
	ret = vm_at_destroy(vm, api_server_stop, s, e);
	if (ret) {
		vm_io_del(vm, s->fd);
		goto err_unlink;
	}
	vm->event_opaque = s;
	vm->event_cb = on_vm_event;
	return 0;
err_unlink:
	unlink(path);
err_close:
	close(s->fd);
err_free:
	free(s);
	return ret;
}
