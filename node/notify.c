/*
 * notify.c: telling systemd how the daemon is (sd_notify(3), Type=notify in the unit).
 *
 * READY=1 goes once node_new has opened the store and bound every socket, so that units
 * ordered after fenghuod start only when peers and the CLI can reach it. STATUS= says how
 * many peers are up and how many messages are stored, whenever either changes but at most
 * once a second (a burst of messages is one line, not thousands). WATCHDOG=1 comes from the
 * event loop itself, twice per WatchdogSec, so that systemd restarts a loop that hangs; the
 * loop's poll timeout is bounded by notify_cron's deadline, so an idle node still pets it.
 * Without NOTIFY_SOCKET (a test, a shell) nothing here sends anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "node.h"

#define NOTIFY_STATUS_MS	1000	/* STATUS= at most this often */

static void
notify_status(struct node *n, uint64_t now)
{
	char buf[128];
	uint64_t count = 0;
	size_t i, up = 0;

	n->notify_status_at = now + NOTIFY_STATUS_MS;
	for (i = 0; i < n->npeers; i++)
		if (!n->peers[i]->dead && peer_is_up(n->peers[i]))
			up++;
	if (store_count(n->store, &count) != 0)
		return;
	if (n->notify_sent && up == n->notify_peers && count == n->notify_msgs)
		return;
	n->notify_sent = 1;
	n->notify_peers = up;
	n->notify_msgs = count;
	snprintf(buf, sizeof(buf), "STATUS=%zu peer%s up, %llu message%s stored", up,
	    up == 1 ? "" : "s", (unsigned long long)count, count == 1 ? "" : "s");
	(void)sd_notify(0, buf);
}

void
notify_ready(struct node *n)
{
	uint64_t usec = 0;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	n->notify = 1;
	/* Half the interval, as sd_watchdog_enabled(3) advises; at least every 10 ms. */
	if (sd_watchdog_enabled(0, &usec) > 0) {
		n->watchdog_ms = usec / 2000;
		if (n->watchdog_ms < 10)
			n->watchdog_ms = 10;
		log_info("systemd watchdog every %llu ms",
		    (unsigned long long)n->watchdog_ms);
	}
	(void)sd_notifyf(0, "READY=1\nMAINPID=%lu", (unsigned long)getpid());
	notify_status(n, now_mono());
}

uint64_t
notify_cron(struct node *n, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	if (!n->notify)
		return next;
	if (n->watchdog_ms != 0) {
		if (now >= n->watchdog_at) {
			(void)sd_notify(0, "WATCHDOG=1");
			n->watchdog_at = now + n->watchdog_ms;
		}
		next = n->watchdog_at;
	}
	if (now >= n->notify_status_at)
		notify_status(n, now);
	return next;
}

void
notify_state(struct node *n, const char *state)
{
	if (n->notify)
		(void)sd_notify(0, state);
}
