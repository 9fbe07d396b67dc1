/*
 * bench.h: shared declarations of fenghuo-bench.
 *
 * One subcommand per file, each exporting a `const struct bench_cmd` that bench.c lists in
 * its table: add a file, declare its entry here, add it to the table. A subcommand parses its
 * own options, prints what it measured, and returns an exit status (0 = ran; the figures
 * say whether targets were met). The last line of output is machine-readable:
 * space-separated key=value pairs.
 */
#ifndef FH_BENCH_H
#define FH_BENCH_H

#include <stddef.h>
#include <stdint.h>

struct bench_cmd {
	const char	*name;
	const char	*help;		/* one line: what it measures and its options */
	int		(*run)(int argc, char **argv);
};

/* ingest.c */
extern const struct bench_cmd bench_ingest;
/* bench_reconcile.c */
extern const struct bench_cmd bench_reconcile;

/* bench_dissem.c */
extern const struct bench_cmd bench_dissemination;
extern const struct bench_cmd bench_dissem_probe;
/* bench_throughput.c */
extern const struct bench_cmd bench_throughput;
extern const struct bench_cmd bench_tput_prefill;
extern const struct bench_cmd bench_tput_probe;
/* bench_slowlink.c */
extern const struct bench_cmd bench_slowlink;
extern const struct bench_cmd bench_county;
/* bench_receipt.c */
extern const struct bench_cmd bench_receipt;

/* bench_startup.c */
extern const struct bench_cmd bench_startup;
extern const struct bench_cmd bench_startup_fill;
extern const struct bench_cmd bench_startup_probe;

/* bench_dutystore.c */
extern const struct bench_cmd bench_dutystore;

/* bench_mesh.c: for the benchmarks that drive real fenghuod processes */
struct fc_key;
struct json_t;
struct Fenghuo__Body;
/*
 * Sign body b by key: its version, author and created_ms are set here, the rest is the
 * caller's. Caller frees *env; *bodylen (if not NULL) is the body's length. 0 or -1.
 */
int		 bench_seal_body(const struct fc_key *key, struct Fenghuo__Body *b,
		    uint64_t created_ms, uint8_t **env, size_t *len, size_t *bodylen);
/* Sign a ~320-byte REPORT by key (i varies region, text, coordinates); caller frees *env. */
int		 bench_make_report(const struct fc_key *key, size_t i, uint64_t created_ms,
		    uint8_t **env, size_t *len);
/* The same in region, with Body.status (0: none, actual). */
int		 bench_make_report_in(const struct fc_key *key, size_t i, const char *region,
		    int status, uint64_t created_ms, uint8_t **env, size_t *len);
/*
 * Sign a DELIVERED receipt of warning ref by key, as node/deliver.c and node_publish make
 * it (fields in fenghuod's order: version, kind, author, created_ms, region, refs[0], the
 * Receipt), with the path fields via (8 bytes), hops, delay_ms and link when via is not
 * NULL. Caller frees *env; *bodylen (if not NULL) is the body's length. 0 or -1.
 */
int		 bench_make_receipt(const struct fc_key *key, const uint8_t *ref,
		    const char *region, uint64_t created_ms, const uint8_t *via, uint32_t hops,
		    uint64_t delay_ms, uint32_t link, uint8_t **env, size_t *len,
		    size_t *bodylen);
/* A DEALER connected to the control socket in state dir `state`, or NULL. */
void		*bench_ctl_open(void *zctx, const char *state);
/* Send {"cmd":cmd} (and data as a second part if not NULL). 0 or -1. */
int		 bench_ctl_send(void *sock, const char *cmd, const uint8_t *data, size_t len);
/*
 * Receive one reply or event, waiting up to timeout_ms (-1: for ever); its first part
 * parsed, NULL on timeout or error. With part2, a second part is copied (caller frees).
 */
struct json_t	*bench_ctl_recv(void *sock, int timeout_ms, uint8_t **part2, size_t *len2);
/* bench_ctl_send + bench_ctl_recv of the reply; caller json_decref()s it. */
struct json_t	*bench_ctl_call(void *sock, const char *cmd, int timeout_ms);
/* The integer at a dotted path ("drops.author_rate") of a JSON object, 0 if absent. */
int64_t		 bench_json_int(const struct json_t *o, const char *path);
/* exec bash tools/bench/<script> with argv[1..]; returns only on failure. */
int		 bench_run_script(const char *script, int argc, char **argv);

/* bench.c: helpers for every subcommand */
uint64_t	 bench_mono_ns(void);	/* CLOCK_MONOTONIC, for measuring */
/* CPU time of the calling thread: what a step cost, whatever else the machine runs. */
uint64_t	 bench_cpu_ns(void);
uint64_t	 bench_wall_ms(void);	/* CLOCK_REALTIME in ms, for message times */
/* A fresh temporary directory (mkdtemp) or NULL; caller frees, and removes it with bench_rmdir. */
char		*bench_tmpdir(const char *tag);
/* Remove a store directory (its files, then the directory) and free the string. */
void		 bench_rmdir(char *dir);

#endif /* FH_BENCH_H */
