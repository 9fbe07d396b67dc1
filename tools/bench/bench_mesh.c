/*
 * bench_mesh.c: what the benchmarks share: signing realistic REPORTs and DELIVERED
 * receipts in the daemon's own form (bench_receipt.c, bench_startup.c), talking to a
 * daemon's control socket (docs/CONFIG.md, "The control socket"), and running the shell
 * half of a benchmark.
 *
 * The daemons themselves are started by shell scripts next to this file that source
 * tests/integration/lib.sh, so that a benchmark mesh is set up exactly as the integration
 * tests set theirs up (keys, trust, transport keys, private ports, cleanup on every exit):
 * whatever a node needs next, lib.sh learns once for both. The scripts call fenghuo-bench
 * back for the parts that need a monotonic clock or C speed (bench_dissem.c,
 * bench_throughput.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "bench.h"
#include "store.h"

static const char *const titles[] = {
	"河堤管涌险情", "山体滑坡阻断道路", "村民房屋进水", "森林火情", "桥梁冲毁",
};
static const char *const events[] = { "暴雨", "flood", "landslide", "wildfire", "地震" };
static const char *const texts[] = {
	"东沟村三组河堤发现管涌两处，直径约二十厘米，水位仍在上涨，已组织巡堤人员二十名值守，"
	"请求派出抢险队伍和砂袋五百个。",
	"县道X203线12公里处山体滑坡，约三百立方米土石堵塞道路，无人员伤亡，车辆无法通行，"
	"已设置警示标志。",
	"低洼处十二户房屋进水，水深约半米，已转移群众四十一人至村委会安置点，需要饮用水和被褥。",
};

int
bench_seal_body(const struct fc_key *key, Fenghuo__Body *b, uint64_t created_ms,
    uint8_t **env, size_t *len, size_t *bodylen)
{
	uint8_t		 buf[4096];
	size_t		 blen;

	b->has_version = 1;
	b->version = WIRE_BODY_VERSION;
	b->has_author = 1;
	b->author.data = (uint8_t *)(uintptr_t)fc_key_public(key);
	b->author.len = FC_PUBLICKEYBYTES;
	b->has_created_ms = 1;
	b->created_ms = created_ms;
	if ((blen = fenghuo__body__get_packed_size(b)) > sizeof(buf))
		return -1;
	fenghuo__body__pack(b, buf);
	if (bodylen != NULL)
		*bodylen = blen;
	return fc_envelope_seal(key, buf, blen, env, len) == 0 ? 0 : -1;
}

int
bench_make_receipt(const struct fc_key *key, const uint8_t *ref, const char *region,
    uint64_t created_ms, const uint8_t *via, uint32_t hops, uint64_t delay_ms, uint32_t link,
    uint8_t **env, size_t *len, size_t *bodylen)
{
	Fenghuo__Body	 b = FENGHUO__BODY__INIT;
	Fenghuo__Receipt r = FENGHUO__RECEIPT__INIT;
	ProtobufCBinaryData refs;

	r.has_stage = 1;
	r.stage = FENGHUO__STAGE__DELIVERED;
	if (via != NULL) {
		/* What deliver_path() writes for a warning that came from a neighbour. */
		r.has_via = r.has_hops = r.has_delay_ms = r.has_link = 1;
		r.via.data = (uint8_t *)(uintptr_t)via;
		r.via.len = WIRE_VIA_BYTES;
		r.hops = hops;
		r.delay_ms = delay_ms;
		r.link = link;
	}
	refs.data = (uint8_t *)(uintptr_t)ref;
	refs.len = FC_IDBYTES;
	b.has_kind = 1;
	b.kind = FENGHUO__KIND__RECEIPT;
	b.region = (char *)(uintptr_t)region;
	b.n_refs = 1;
	b.refs = &refs;
	b.receipt = &r;
	return bench_seal_body(key, &b, created_ms, env, len, bodylen);
}

int
bench_make_report(const struct fc_key *key, size_t i, uint64_t created_ms, uint8_t **env,
    size_t *len)
{
	char		 region[16];

	snprintf(region, sizeof(region), "510722%03zu%03zu", 100 + i % 17, 200 + i % 23);
	return bench_make_report_in(key, i, region, 0, created_ms, env, len);
}

int
bench_make_report_in(const struct fc_key *key, size_t i, const char *region, int status,
    uint64_t created_ms, uint8_t **env, size_t *len)
{
	Fenghuo__Body	 b = FENGHUO__BODY__INIT;

	b.has_kind = 1;
	b.kind = FENGHUO__KIND__REPORT;
	b.region = (char *)(uintptr_t)region;
	b.has_lat_e7 = b.has_lon_e7 = 1;
	b.lat_e7 = 311000000 + (int32_t)(i % 100000);
	b.lon_e7 = 1049000000 + (int32_t)(i % 70000);
	b.category = (char *)(uintptr_t)"Met";
	b.event = (char *)(uintptr_t)events[i % 5];
	b.title = (char *)(uintptr_t)titles[i % 5];
	b.text = (char *)(uintptr_t)texts[i % 3];
	if (status != 0) {
		b.has_status = 1;
		b.status = (Fenghuo__Status)status;
	}
	return bench_seal_body(key, &b, created_ms, env, len, NULL);
}

void *
bench_ctl_open(void *zctx, const char *state)
{
	char	 ep[4200];
	void	*s;
	int	 linger = 0;

	snprintf(ep, sizeof(ep), "ipc://%s/fenghuod.sock", state);
	if ((s = zmq_socket(zctx, ZMQ_DEALER)) == NULL)
		return NULL;
	if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_connect(s, ep) != 0) {
		zmq_close(s);
		return NULL;
	}
	return s;
}

int
bench_ctl_send(void *sock, const char *cmd, const uint8_t *data, size_t len)
{
	char	 req[64];

	snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", cmd);
	if (zmq_send(sock, req, strlen(req), data != NULL ? ZMQ_SNDMORE : 0) < 0)
		return -1;
	if (data != NULL && zmq_send(sock, data, len, 0) < 0)
		return -1;
	return 0;
}

json_t *
bench_ctl_recv(void *sock, int timeout_ms, uint8_t **part2, size_t *len2)
{
	zmq_pollitem_t	 pi = { sock, 0, ZMQ_POLLIN, 0 };
	zmq_msg_t	 m;
	json_t		*j = NULL;
	int		 more, part = 0;

	if (part2 != NULL)
		*part2 = NULL;
	if (timeout_ms >= 0 && zmq_poll(&pi, 1, timeout_ms) <= 0)
		return NULL;
	do {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, sock, 0) < 0) {
			zmq_msg_close(&m);
			json_decref(j);
			return NULL;
		}
		if (part == 0)
			j = json_loadb(zmq_msg_data(&m), zmq_msg_size(&m), 0, NULL);
		else if (part == 1 && part2 != NULL && (*part2 = malloc(zmq_msg_size(&m) + 1)) !=
		    NULL) {
			memcpy(*part2, zmq_msg_data(&m), zmq_msg_size(&m));
			*len2 = zmq_msg_size(&m);
		}
		more = zmq_msg_more(&m);
		zmq_msg_close(&m);
		part++;
	} while (more);
	return j;
}

json_t *
bench_ctl_call(void *sock, const char *cmd, int timeout_ms)
{
	if (bench_ctl_send(sock, cmd, NULL, 0) != 0)
		return NULL;
	return bench_ctl_recv(sock, timeout_ms, NULL, NULL);
}

int64_t
bench_json_int(const json_t *o, const char *path)
{
	char		 key[64];
	const char	*dot;
	const json_t	*v = o;

	while (v != NULL && (dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		v = json_object_get(v, key);
		path = dot + 1;
	}
	v = v != NULL ? json_object_get(v, path) : NULL;
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

int
bench_run_script(const char *script, int argc, char **argv)
{
	char	**av;
	char	 path[4200], self[4096];
	ssize_t	 n;
	int	 i;

	snprintf(path, sizeof(path), "%s/tools/bench/%s", FH_SOURCE_DIR, script);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0) {
		perror("fenghuo-bench: /proc/self/exe");
		return 1;
	}
	self[n] = '\0';
	/* The build's own binaries unless the caller names others. */
	setenv("FENGHUOD", FH_FENGHUOD, 0);
	setenv("FENGHUO", FH_FENGHUO, 0);
	setenv("FH_LINKSIM", FH_LINKSIM, 0);
	setenv("FH_BENCH", self, 1);
	setenv("FH_LIB", FH_SOURCE_DIR "/tests/integration/lib.sh", 0);
	if ((av = calloc((size_t)argc + 3, sizeof(*av))) == NULL)
		return 1;
	av[0] = (char *)(uintptr_t)"bash";
	av[1] = path;
	for (i = 1; i < argc; i++)
		av[i + 1] = argv[i];
	execvp("bash", av);
	fprintf(stderr, "fenghuo-bench: cannot run bash %s: %s\n", path, strerror(errno));
	free(av);
	return 1;
}
