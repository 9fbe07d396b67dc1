/*
 * metrics.c: the daemon's status object as Prometheus text (metrics.h).
 *
 * Every metric is one row of a table below: its name, type, help text and where its value
 * sits in the status object. Keeping the mapping in tables, not in code, is what lets the
 * CLI and any other process that serves /metrics agree on every name, and lets docs/CLI.md
 * list them from one place. Families are written whole (HELP, TYPE, then all their samples),
 * as the format requires.
 */
#include <stdint.h>
#include <string.h>

#include "metrics.h"

/* A value found at the path a, a.b (b may be NULL) of the status object. */
struct metric_scalar {
	const char	*name;
	const char	*type;
	const char	*help;
	const char	*key;
	const char	*sub;
	double		 scale;		/* multiply by this (0: 1), e.g. ms to seconds */
};

/* Every integer member of the object at key, one sample each, labelled label="member". */
struct metric_map {
	const char	*name;
	const char	*type;
	const char	*help;
	const char	*key;
	const char	*label;
};

/* The member key of every element of the array at list, labelled label=element.name. */
struct metric_each {
	const char	*name;
	const char	*type;
	const char	*help;
	const char	*key;
};

static const struct metric_scalar scalars[] = {
	{ "fenghuo_uptime_seconds", "gauge", "Seconds since the daemon started.",
	    "uptime_s", NULL, 0 },
	{ "fenghuo_store_messages", "gauge", "Messages in the store.", "messages", NULL, 0 },
	{ "fenghuo_signature_checks_total", "counter", "Ed25519 signature checks made.",
	    "verified", NULL, 0 },
	{ "fenghuo_messages_stored_total", "counter",
	    "New messages stored (from peers, imports and local submissions).",
	    "stored", NULL, 0 },
	{ "fenghuo_messages_duplicate_total", "counter",
	    "Messages received that the store already held.", "duplicates", NULL, 0 },
	{ "fenghuo_messages_submitted_total", "counter",
	    "Messages submitted through the control socket.", "submitted", NULL, 0 },
	{ "fenghuo_delivery_receipts_total", "counter",
	    "Warnings of this node's authors confirmed by a delivery receipt.",
	    "delivery_receipts", NULL, 0 },
	{ "fenghuo_delivery_receipts_dropped_total", "counter",
	    "Delivery receipts this node could not make.", "delivery_receipts_dropped", NULL, 0 },
	{ "fenghuo_compact_receipts_invalid_total", "counter",
	    "Compact receipt records refused as invalid.", "compact_receipts_invalid", NULL, 0 },
	{ "fenghuo_store_commits_total", "counter", "Write transactions committed to the store.",
	    "commits", NULL, 0 },
	{ "fenghuo_store_commit_errors_total", "counter",
	    "Batches the store could not commit (a full disk); none of them was acknowledged.",
	    "commit_errors", NULL, 0 },
	{ "fenghuo_store_evicted_total", "counter",
	    "Messages evicted to keep the store under its quota.", "store_quota", "evicted", 0 },
	{ "fenghuo_store_over_quota", "gauge", "1 while the store is over its quota.",
	    "store_quota", "over", 0 },
	{ "fenghuo_unknown_frames_total", "counter", "Peer frames of an unknown type ignored.",
	    "unknown_frames", NULL, 0 },
	{ "fenghuo_trace_queries_total", "counter", "Trace queries answered.",
	    "trace_queries", NULL, 0 },
	{ "fenghuo_trace_ignored_total", "counter", "Trace queries ignored.",
	    "trace_ignored", NULL, 0 },
	{ "fenghuo_held_messages", "gauge",
	    "Messages held in memory until their author's certificate arrives.",
	    "held", NULL, 0 },
	{ "fenghuo_held_released_total", "counter",
	    "Held messages stored once their author's certificate arrived.",
	    "held_stats", "released", 0 },
	{ "fenghuo_held_evicted_total", "counter", "Held messages evicted for room.",
	    "held_stats", "evicted", 0 },
	{ "fenghuo_held_expired_total", "counter", "Held messages that expired while held.",
	    "held_stats", "expired", 0 },
	{ "fenghuo_queue_messages", "gauge", "Messages queued for all peers.",
	    "queue", "total", 0 },
	{ "fenghuo_trust_anchors", "gauge", "Trust anchors (county root keys) configured.",
	    "trust", "anchors", 0 },
	{ "fenghuo_trust_certificates", "gauge", "Certificates in force known to the node.",
	    "trust", "certs", 0 },
	{ "fenghuo_trust_revocations", "gauge", "Revocations known to the node.",
	    "trust", "revocations", 0 },
	{ "fenghuo_clock_offset_seconds", "gauge",
	    "The node's wall clock minus its peers' median clock.", "clock_offset_ms", NULL,
	    0.001 },
	{ "fenghuo_clock_ok", "gauge", "1 while the wall clock is within tolerance of the peers'.",
	    "clock_ok", NULL, 0 },
};

static const struct metric_map maps[] = {
	{ "fenghuo_rejected_total", "counter", "Messages refused by validation, by reason.",
	    "rejected", "reason" },
	{ "fenghuo_policy_rejected_total", "counter",
	    "Messages refused by the trust policy, by reason.", "policy_rejected", "reason" },
	{ "fenghuo_dropped_total", "counter", "Messages or frames dropped by a limit, by reason.",
	    "drops", "reason" },
	{ "fenghuo_transport_handshakes_total", "counter",
	    "Transport (CurveZMQ) handshakes and link admissions, by result.", "zap", "result" },
};

static const struct metric_each peer_metrics[] = {
	{ "fenghuo_peer_received_bytes_total", "counter", "Bytes received from the peer.",
	    "bytes_in" },
	{ "fenghuo_peer_sent_bytes_total", "counter", "Bytes sent to the peer.", "bytes_out" },
	{ "fenghuo_peer_received_messages_total", "counter", "Messages received from the peer.",
	    "msgs_in" },
	{ "fenghuo_peer_sent_messages_total", "counter", "Messages sent to the peer.",
	    "msgs_out" },
	{ "fenghuo_peer_queue_messages", "gauge", "Messages queued for the peer.", "queue" },
	{ "fenghuo_peer_queue_dropped_total", "counter",
	    "Messages dropped from the peer's full queue.", "queue_dropped" },
	{ "fenghuo_peer_sync_rounds_total", "counter", "Set reconciliation rounds with the peer.",
	    "sync_rounds" },
	{ "fenghuo_peer_garbage_frames_total", "counter",
	    "Malformed frames received from the peer.", "garbage" },
	{ "fenghuo_peer_protocol_version", "gauge",
	    "The protocol version in use on the link (0 before the HELLO exchange).",
	    "protocol_version" },
};

static const struct metric_each hook_metrics[] = {
	{ "fenghuo_hook_runs_total", "counter", "Runs of the hook program started.", "runs" },
	{ "fenghuo_hook_succeeded_total", "counter", "Runs of the hook program that succeeded.",
	    "ok" },
	{ "fenghuo_hook_failures_total", "counter", "Runs of the hook program that failed.",
	    "failures" },
	{ "fenghuo_hook_given_up_total", "counter", "Events the hook gave up on after retries.",
	    "given_up" },
	{ "fenghuo_hook_running", "gauge", "Runs of the hook program in progress.", "running" },
	{ "fenghuo_hook_waiting", "gauge", "Events waiting for the hook program.", "waiting" },
};

/* s with the escapes of esc_quote (label values) or of HELP text. */
static void
put_escaped(FILE *out, const char *s, int esc_quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '"' && esc_quote)
			fputs("\\\"", out);
		else
			fputc(*s, out);
	}
}

static void
put_header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s ", name);
	put_escaped(out, help, 0);
	fprintf(out, "\n# TYPE %s %s\n", name, type);
}

/* 1 with j as a sample value in buf if j is a number or a boolean, else 0. */
static int
number(const json_t *j, double scale, char *buf, size_t size)
{
	if (json_is_integer(j) && scale == 0)
		snprintf(buf, size, "%lld", (long long)json_integer_value(j));
	else if (json_is_number(j))
		snprintf(buf, size, "%.17g", json_number_value(j) * (scale != 0 ? scale : 1));
	else if (json_is_boolean(j))
		snprintf(buf, size, "%d", json_is_true(j) ? 1 : 0);
	else
		return 0;
	return 1;
}

/* One sample: name{label="value"} v, or name v when label is NULL. */
static void
put_sample(FILE *out, const char *name, const char *label, const char *value, const char *v)
{
	fputs(name, out);
	if (label != NULL) {
		fprintf(out, "{%s=\"", label);
		put_escaped(out, value, 1);
		fputs("\"}", out);
	}
	fprintf(out, " %s\n", v);
}

static void
write_scalars(FILE *out, const json_t *st)
{
	char v[64];
	size_t i;

	for (i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		const struct metric_scalar *m = &scalars[i];
		const json_t *j = json_object_get(st, m->key);

		if (m->sub != NULL)
			j = json_object_get(j, m->sub);
		if (!number(j, m->scale, v, sizeof(v)))
			continue;
		put_header(out, m->name, m->type, m->help);
		put_sample(out, m->name, NULL, NULL, v);
	}
}

static void
write_maps(FILE *out, const json_t *st)
{
	const char *k;
	json_t *j;
	char v[64];
	size_t i;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		const struct metric_map *m = &maps[i];
		const json_t *o = json_object_get(st, m->key);
		int n = 0;

		if (!json_is_object(o))
			continue;
		/* json_object_foreach wants a non-const object; it only reads it here. */
		json_object_foreach((json_t *)(uintptr_t)o, k, j) {
			if (!json_is_integer(j) || !number(j, 0, v, sizeof(v)))
				continue;
			if (n++ == 0)
				put_header(out, m->name, m->type, m->help);
			put_sample(out, m->name, m->label, k, v);
		}
	}
}

/* The metrics of each element of the array st.list, labelled label=element.name. */
static void
write_each(FILE *out, const json_t *st, const char *list, const char *label,
    const struct metric_each *ms, size_t nms)
{
	const json_t *a = json_object_get(st, list), *e;
	char v[64];
	size_t i, k;

	for (i = 0; i < nms; i++) {
		int n = 0;

		for (k = 0; k < json_array_size(a); k++) {
			const char *name;

			e = json_array_get(a, k);
			name = json_string_value(json_object_get(e, "name"));
			if (name == NULL ||
			    !number(json_object_get(e, ms[i].key), 0, v, sizeof(v)))
				continue;
			if (n++ == 0)
				put_header(out, ms[i].name, ms[i].type, ms[i].help);
			put_sample(out, ms[i].name, label, name, v);
		}
	}
}

/* fenghuo_peer_up, from each peer's state. */
static void
write_peer_up(FILE *out, const json_t *st)
{
	const json_t *a = json_object_get(st, "peers"), *e;
	size_t k;
	int n = 0;

	for (k = 0; k < json_array_size(a); k++) {
		const char *name, *state;

		e = json_array_get(a, k);
		name = json_string_value(json_object_get(e, "name"));
		state = json_string_value(json_object_get(e, "state"));
		if (name == NULL || state == NULL)
			continue;
		if (n++ == 0)
			put_header(out, "fenghuo_peer_up", "gauge",
			    "1 while the link to the peer is up.");
		put_sample(out, "fenghuo_peer_up", "peer", name,
		    strcmp(state, "up") == 0 ? "1" : "0");
	}
}

/* fenghuo_info{name, region, key} 1: the node's identity, to join on. */
static void
write_info(FILE *out, const json_t *st)
{
	static const char *const keys[] = { "name", "region", "key" };
	size_t i;

	put_header(out, "fenghuo_info", "gauge",
	    "Always 1; the labels name the node, its region code and its public key.");
	fputs("fenghuo_info{", out);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = json_string_value(json_object_get(st, keys[i]));

		fprintf(out, "%s%s=\"", i > 0 ? "," : "", keys[i]);
		put_escaped(out, s != NULL ? s : "", 1);
		fputc('"', out);
	}
	fputs("} 1\n", out);
}

int
metrics_write(FILE *out, const json_t *st)
{
	write_info(out, st);
	write_scalars(out, st);
	write_maps(out, st);
	write_peer_up(out, st);
	write_each(out, st, "peers", "peer", peer_metrics,
	    sizeof(peer_metrics) / sizeof(peer_metrics[0]));
	write_each(out, st, "hooks", "hook", hook_metrics,
	    sizeof(hook_metrics) / sizeof(hook_metrics[0]));
	if (fflush(out) == EOF || ferror(out))
		return -1;
	return 0;
}
