/*
 * fenghuo.h: shared declarations of the fenghuo CLI (tools/).
 *
 * One file per verb (cmd_<verb>.c), each exporting a `const struct cmd_entry` that
 * fenghuo.c lists in its table (as tmux does with cmd-*.c). A verb parses its own options
 * with getopt_long, prints --help from its entry, and returns a sysexits.h code.
 */
#ifndef FH_FENGHUO_H
#define FH_FENGHUO_H

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>

struct store;
struct ingest;
struct fc_key;
struct json_t;

/* Global options and lazily opened resources, owned by main(). */
struct cli {
	const char	*state;		/* --state / $FENGHUO_STATE / default */
	const char	*keypath;	/* --key, or <state>/node.key */
	int		 json;		/* --json given to a read command */
	struct store	*store;		/* opened on demand by cli_store() */
	struct ingest	*ingest;	/* direct writes into store (submit.c), on demand */
	struct fc_key	*key;		/* loaded on demand by cli_key() */
	const char	*verb;		/* the running verb, for error messages */
	int		 store_rw;	/* cli->store was opened for writing */
	struct cli_trust *trust;	/* cli_trust_mark()'s trust state, loaded on first use */
	int		 trust_failed;	/* ... or it could not be loaded (said once) */
	size_t		 held_unkept;	/* held imports the held area had no room for */
	uint64_t	 released;	/* held messages stored by direct writes of this run */
	uint64_t	 held_dropped;	/* held messages refused for good by them */
	int		 format;	/* --format: CLI_FMT_* (format.c) */
	const struct cli_column *columns;	/* CSV columns of the running verb */
	size_t		 emitted;	/* rows cli_emit() has written */
	/*
	 * Where the read verbs' JSON objects go (cli_json_out): NULL, standard output; else
	 * this function, which takes its own reference (the board collects them so).
	 */
	int		(*json_sink)(void *arg, struct json_t *o);
	void		*json_sink_arg;
	/*
	 * With json_sink, when not NULL: asked (with json_sink_arg) before a reader that knows
	 * it builds a result object of this kind (duty: its "duty" value); 0 means the sink
	 * does not want it, and it is not built. Each object is asked about once, so that the
	 * sink can count what it leaves out.
	 */
	int		(*json_want)(void *arg, const char *kind);
	/*
	 * When not NULL, the duty list writes what it counted here as it ends: the board's
	 * /metrics, whose json_want declines every item, so that none is built (and open
	 * reports no loop receipt refers to are counted from the store's loops tree alone).
	 */
	struct cli_duty_counts *duty_counts;
	/*
	 * New messages go to a running fenghuod only: with none, cli_submit_batch() says so and
	 * returns EX_UNAVAILABLE instead of writing into the store itself (the board's actions).
	 */
	int		 daemon_only;
	char		*state_buf;	/* owned storage behind state/keypath */
	char		*keypath_buf;
};

/* What a duty list counted (cli->duty_counts): as its --json items would count. */
struct cli_duty_counts {
	size_t		 open;		/* "report" items: actual reports still open */
	size_t		 overdue;	/* ... of them unregistered past --overdue */
	size_t		 inforce;	/* "warning" items: actual warnings in force */
	size_t		 drills;	/* "drill-report" and "drill-warning" items */
};

struct cmd_entry {
	const char	*name;
	const char	*usage;		/* one line: "report --region CODE ..." */
	const char	*help;		/* what it does, options, one per line */
	int		(*exec)(struct cli *cli, int argc, char **argv);
};

struct fc_msg;
struct store_msg;
/*
 * One new message handed over for storage, and what became of it: status is an
 * enum ingest_status (0: not taken), reason an fc_reason, policy_reason the trust policy's.
 */
struct cli_put {
	const uint8_t	*env;		/* in: serialized Envelope */
	size_t		 len;
	int		 status;	/* out */
	int		 reason;
	int		 policy_reason;
	uint8_t		 id[32];	/* FC_IDBYTES */
};
struct store_seen;
struct json_t;
struct Fenghuo__Body;

/*
 * Exit codes are those of sysexits.h: EX_OK, EX_USAGE (bad arguments), EX_DATAERR (rejected
 * message, unknown or ambiguous id), EX_NOINPUT (missing file or store), EX_NOPERM (key file
 * permissions), EX_CANTCREAT, EX_IOERR, EX_SOFTWARE. Helpers below that return int return
 * one of them, and have already printed the error ("fenghuo: VERB: message") when it is not
 * EX_OK, so a verb just returns what they return.
 */

/* tty.c */
/*
 * When standard output is a terminal, filter it: C0 controls (but tab and newline), DEL and
 * C1 controls print as '?', so that text from other keys cannot drive the terminal. Output
 * to pipes and files stays exact.
 */
void		 cli_tty_guard(void);

/* width.c */
/*
 * Set LC_CTYPE from the environment, or to C.UTF-8 when that is not a UTF-8 locale (the
 * data is UTF-8 whatever the locale), so that display widths are known. Call once at start.
 */
void		 cli_locale_init(void);
/* Display columns of s (UTF-8) as cli_cell prints it. */
size_t		 cli_text_width(const char *s);
/*
 * Print s as a table cell: on one line (control characters, line separators and bidi
 * controls as '?', a tab as a space), padded with spaces to width display columns (0: no
 * padding, a last column). With cut set, a wider s is cut at a character boundary and
 * ends in an ellipsis so that it fills exactly width columns.
 */
void		 cli_cell(FILE *fp, const char *s, int width, int cut);

/* format.c: --format json|csv|geojson of the read commands */
#define CLI_FMT_TEXT	0
#define CLI_FMT_JSON	1	/* JSON Lines, as --json */
#define CLI_FMT_CSV	2
#define CLI_FMT_GEOJSON	3
/* A CSV column: its header, the key (a dotted path) of the row's JSON object, its type. */
#define CLI_COL_TEXT	0
#define CLI_COL_TIME	1	/* ms since the epoch, written as local "YYYY-MM-DD HH:MM:SS" */
struct cli_column {
	const char	*header;
	const char	*key;
	int		 type;
};
/*
 * --format NAME for a verb that offers formats up to max (CLI_FMT_*): sets cli->format,
 * and cli->json for every machine format (they are all built from the --json objects).
 * EX_OK, or EX_USAGE after naming the formats it offers.
 */
int		 cli_set_format(struct cli *cli, const char *name, int max);
/* The CSV columns of the verb's rows, up to one whose header is NULL; kept, not copied. */
void		 cli_format_columns(struct cli *cli, const struct cli_column *cols);
/*
 * Write one row (the verb's JSON object o; msg, which may be NULL, is the message it
 * shows) in cli->format: a JSON line, a CSV row (the header before the first), or a
 * GeoJSON Feature (the collection opened before the first). Does not take o. 0, or -1 on
 * an output error.
 */
int		 cli_emit(struct cli *cli, struct json_t *o, const struct fc_msg *msg);
/* After the last row: the CSV header of an empty table, the GeoJSON collection's end. */
int		 cli_emit_end(struct cli *cli);
/*
 * Hand one result object of a read verb to its reader: cli->json_sink when set, else a
 * JSON line on standard output. Does not take o. 0, or -1 on an error.
 */
int		 cli_json_out(struct cli *cli, struct json_t *o);

/* fenghuo.c */
/* Print "usage: fenghuo USAGE" for the entry to stderr and return EX_USAGE. */
int		 cli_usage(const struct cmd_entry *entry);
/* Print the entry's usage and help to stdout (for --help); returns EX_OK. */
int		 cli_help(const struct cmd_entry *entry);

/* cli.c */
/* "fenghuo: VERB: message" on stderr; cli_warn appends ": strerror(errno)". */
void		 cli_warnx(const struct cli *cli, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 cli_warn(const struct cli *cli, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Milliseconds since the epoch, CLOCK_REALTIME. */
uint64_t	 cli_now_ms(void);
/* Create the state directory (mode 0700) and its parents when missing. */
int		 cli_state_mkdir(struct cli *cli);
/*
 * The store, opened on first use: read-only (EX_NOINPUT if there is none yet) unless
 * write is set, in which case the state directory and store are created as needed.
 * The store stays owned by cli and is closed by cli_free().
 */
int		 cli_store(struct cli *cli, int write, struct store **out);
/*
 * Say that the store in cli->state could not be read (rc: a store/ error, store_strerror)
 * and return the exit status for that error: EX_IOERR, or EX_NOPERM, EX_NOINPUT,
 * EX_CONFIG (another schema), EX_DATAERR (corrupt) when rc says so.
 */
int		 cli_store_failed(const struct cli *cli, int rc);
/* The sysexits code for a store/ error code (EX_NOPERM, EX_NOINPUT, EX_CONFIG, ...). */
int		 cli_store_exit(int rc);
/* The node key from cli->keypath, loaded on first use; owned by cli. */
int		 cli_key(struct cli *cli, const struct fc_key **out);
/* Release what cli holds (store, key, buffers). */
void		 cli_free(struct cli *cli);
/*
 * Find a stored message by an id prefix of 8..64 hex digits. EX_USAGE for a malformed
 * prefix, EX_DATAERR for an unknown or ambiguous one. *out is released with
 * store_msg_clear().
 */
int		 cli_resolve(struct cli *cli, const char *prefix, struct store_msg *out);
/* A duration "90s", "30m", "2h", "7d", "1w", "1h30m" in ms. 0, or -1 if malformed. */
int		 cli_parse_duration(const char *s, uint64_t *ms);
/*
 * A point in time: a duration meaning that long ago ("2h"), an ISO date or date-time
 * ("2026-11-23", "2026-11-23T08:00", "2026-11-23 08:00:00"; local time unless it ends
 * in "Z"), or ms since the epoch (all digits). 0, or -1 if malformed.
 */
int		 cli_parse_time(const char *s, uint64_t now_ms, uint64_t *ms);
/* A future point in time: a duration from now ("6h"), or an absolute time as above. */
int		 cli_parse_when(const char *s, uint64_t now_ms, uint64_t *ms);
/*
 * A --title for a new message: at most WIRE_TITLE_MAX bytes of UTF-8 on one line (no
 * control characters). EX_OK, or EX_USAGE after an error that gives the limit in bytes and
 * roughly in characters.
 */
int		 cli_check_title(const struct cli *cli, const char *title);
/* A non-negative integer that fits in max. 0, or -1. */
int		 cli_parse_uint(const char *s, uint64_t max, uint64_t *out);
/* "YYYY-MM-DD HH:MM" (local time) of ms into buf (at least 17 bytes). Returns buf. */
char		*cli_fmt_time(uint64_t ms, char *buf, size_t size);
/* "YYYY-MM-DD HH:MM:SS" (local time) of ms into buf (at least 20 bytes). Returns buf. */
char		*cli_fmt_time_iso(uint64_t ms, char *buf, size_t size);
/*
 * A span of ms as "3d02h", "1h05m", "14m" (with seconds set: "14m05s") or "45s", into buf.
 * Returns buf.
 */
char		*cli_fmt_age(uint64_t ms, int seconds, char *buf, size_t size);
/* The first 12 hex digits of id, NUL-terminated, in buf (13 bytes). Returns buf. */
char		*cli_short_id(const uint8_t *id, char *buf);
/*
 * Re-validate a message read back from the store, as the node judged it when it arrived
 * (its first-seen time is the checker's clock). Returns enum fc_reason; fills *out on
 * FC_R_OK (release with fc_msg_clear).
 */
int		 cli_validate_stored(const uint8_t *env, size_t len, const struct store_seen *seen,
		    struct fc_msg *out);
/*
 * The JSON object of a message (fields listed in docs/CLI.md). seen may be NULL (a
 * message not from the store). Caller owns the result (json_decref).
 */
struct json_t	*cli_msg_json(const struct fc_msg *msg, const struct store_seen *seen,
		    uint64_t now_ms);
/* Print obj as one line of JSON (UTF-8 kept as is) and a newline. 0, or -1 on error. */
int		 cli_json_print(FILE *fp, struct json_t *obj);
#ifdef FH_STORE_H	/* store.h included first: the verbs that read the store */
/*
 * cmd_backup.c: "WHAT N messages, digest HEX: PATH", or with cli->json one object (file,
 * messages, digest): what a backup or a restored store holds.
 */
void		 cli_backup_print(struct cli *cli, const char *what, const char *path,
		    const struct store_backup_info *info);
/*
 * Messages copied out of a store iteration, so that they can be validated and shown after
 * its read transaction has ended (a pager must not pin an LMDB snapshot).
 */
struct cli_copy {
	uint8_t		 id[32];
	uint8_t		*env;
	size_t		 len;
	struct store_seen seen;
};
struct cli_copies {
	struct cli_copy	*items;
	size_t		 n, cap;
};
/* Append a copy of v. 0, or -1 when out of memory (nothing appended). */
int		 cli_copies_add(struct cli_copies *c, const struct store_view *v);
/*
 * held.c: the held area (store/held.c): imported messages whose author's chain is not known
 * here yet. cli_held_load appends a copy of each one that validates and is not in st (st
 * NULL: none is), with seen.first_seen_ms = when it was first held.
 */
int		 cli_held_load(struct cli *cli, struct store *st, struct cli_copies *out);
/* How many messages are held (cli_held_load's count; 0 when it cannot tell). */
size_t		 cli_held_count(struct cli *cli, struct store *st);
/*
 * With no daemon running: judge every message of the held area again (the trust state now
 * includes what was just stored) and store those whose chain is valid now; drop those
 * stored already or refused for good (submit.c). cli->released and cli->held_dropped count
 * them, with what this run's certificates released before. EX_OK or an error (printed).
 */
int		 cli_held_release(struct cli *cli);
/* Free the copies, keep the array for reuse (n = 0). */
void		 cli_copies_drop(struct cli_copies *c);
/* Free everything. */
void		 cli_copies_free(struct cli_copies *c);
#endif
/* One line: short id, time, kind, level/stage, region, title, [flags]. */
void		 cli_msg_line(FILE *fp, const struct fc_msg *msg, const struct store_seen *seen,
		    uint64_t now_ms, int stage);
/*
 * When a region table is installed: the name of code's place (cli_region_deepest, "-" when
 * none) as a cell of CLI_REGION_CELL_COLS display columns and a space; else nothing, so
 * that tables keep their columns either way within one run.
 */
#define CLI_REGION_CELL_COLS	10
void		 cli_region_cell(FILE *fp, const char *code);
/* Every field, one per line, for `fenghuo show`. */
void		 cli_msg_print(FILE *fp, const struct fc_msg *msg, const struct store_seen *seen,
		    uint64_t now_ms);
/*
 * The furthest closed-loop stage (FENGHUO__STAGE__REGISTERED..CLOSED) any stored receipt that
 * counts (cli_receipt_counts) gives the report, or 0 when none has registered it yet.
 * cli_msg_line shows it as "[stage]".
 */
int		 cli_report_stage(struct cli *cli, struct store *st, const struct fc_msg *report);
/*
 * For a report, set o's "stage" to its closed-loop stage (null when unregistered), so that
 * list, show and watch print the same object. Nothing for other kinds. 0, or -1.
 */
int		 cli_json_loop_stage(struct cli *cli, struct json_t *o, struct store *st,
		    const struct fc_msg *msg);
/*
 * For a warning (alert or update): set CLI_MSG_CANCELLED when a stored CANCEL that counts
 * (cli_change_counts) refers to it, else CLI_MSG_SUPERSEDED when such an UPDATE does, and
 * put that message's id in by (32 bytes; may be NULL). Every referring message is validated
 * first. 1 when marked, 0 when not (or not a warning), -1 when the store cannot be read.
 */
int		 cli_mark_changes(struct cli *cli, struct store *st, struct fc_msg *msg,
		    uint8_t by[32]);
/* Set o's "cancelled_by" or "superseded_by" to by as cli_mark_changes marked msg. 0, or -1. */
int		 cli_json_changes(struct json_t *o, const struct fc_msg *msg, const uint8_t by[32]);
/*
 * A --status S of a new report or warning into body: actual leaves Body.status out (what
 * an absent status means), the others set it. EX_OK, or EX_USAGE after saying what is
 * wrong.
 */
int		 cli_set_status(const struct cli *cli, const char *s, struct Fenghuo__Body *body);
/*
 * A --status filter: the status named (actual, exercise, ...) or -1 after saying what is
 * wrong.
 */
int		 cli_parse_status(const struct cli *cli, const char *s);
/*
 * How a message that is not a real one is marked wherever it is shown: "演练" (exercise),
 * "测试" (test), "系统" (system), "草稿" (draft); NULL for an actual one and for kinds
 * without a status. Never in force, never counted as a real warning.
 */
const char	*cli_status_mark(const struct Fenghuo__Body *b);
/* cli_status_mark of a message of kind whose wire_status_of() is status. */
const char	*cli_status_mark_of(int kind, int status);
/* 1 if b is a report or warning that is not actual (cli_status_mark() is not NULL). */
int		 cli_status_drill(const struct Fenghuo__Body *b);
/* A --region PREFIX: 1 to 12 digits. EX_OK, or EX_USAGE after saying what is wrong. */
int		 cli_check_region_prefix(const struct cli *cli, const char *s);
/* 1 if the message concerns region prefix (see `fenghuo list --region`), else 0. */
int		 cli_msg_in_region(const struct fc_msg *msg, const char *prefix);
/*
 * Sign body (a filled Fenghuo__Body whose author, version and created_ms are set by
 * this function from the key and now_ms), submit it and print its id on stdout (with
 * cli->json_sink set, hand {"id": HEX} to the sink instead: the board runs the verb).
 * A rejection prints the reason and returns EX_DATAERR.
 */
int		 cli_publish(struct cli *cli, struct Fenghuo__Body *body, uint64_t now_ms);
/*
 * The same with a key other than --key (the root key of init-county, an admin key): sign,
 * submit and put the id in id instead of printing it.
 */
int		 cli_publish_as(struct cli *cli, const struct fc_key *key,
		    struct Fenghuo__Body *body, uint64_t now_ms, uint8_t id[32]);

/* cmd_cert.c */
#ifdef FH_WIRE_H	/* wire.h included first: the verbs that make certificates */
/* "reporter,node" into role enum values (at most 5, no repeats). 0, or -1 (printed). */
int		 cli_roles_parse(struct cli *cli, const char *arg, Fenghuo__Role *roles,
		    size_t *n);
/*
 * Sign with key (an admin's) a CERT granting subj (FC_PUBLICKEYBYTES) roles within region
 * for ndays from now (valid from CLI_CERT_SLACK_MS ago), with name (may be NULL) and the
 * transport key tk (32 bytes, or NULL), and submit it as `fenghuo cert` does; its id in id.
 * EX_OK, or the error of cli_publish_as() (printed).
 */
int		 cli_cert_sign(struct cli *cli, const struct fc_key *key, const uint8_t *subj,
		    const Fenghuo__Role *roles, size_t nroles, const char *region,
		    uint64_t ndays, const char *name, const uint8_t *tk, uint8_t id[32]);
#endif

/* clock.c: this computer's clock as the running fenghuod estimates it against its peers */
/*
 * Before signing an official message (what: "warnings", "certificates"): EX_OK, or
 * EX_TEMPFAIL after printing why, while the daemon says the clock is beyond the tolerance
 * of validation. EX_OK when no daemon runs (no estimate).
 */
int		 cli_clock_check(struct cli *cli, const char *what);
/* After a rejection as expired or clock: print that the clock is the cause, if it is. */
void		 cli_clock_note(struct cli *cli);
/* "1 d 2 h", "14 min 5 s", "0.042 s": the size of an offset of ms (sign dropped). */
const char	*cli_clock_fmt(long long ms, char *buf, size_t size);
/* `fenghuo peers` shows a peer's clock offset when it is larger than this. */
#define CLI_CLOCK_SHOW_MS	(60 * 1000)
/* The "clock" line of `fenghuo status` from the daemon's status object. */
void		 cli_clock_print(const struct json_t *st);

/* submit.c */
/*
 * Submit new messages for storage (and, through the daemon, for sending). When fenghuod
 * runs, each item goes through its control socket and is acknowledged after its commit;
 * otherwise they are written directly through an ingest of the CLI's own (DESIGN decision
 * 8: allowed while no daemon runs), unless cli->daemon_only says not to (EX_UNAVAILABLE).
 * Returns EX_OK when the batch was handled, with each item's status and reason filled in;
 * or an error code (already printed) when nothing was stored, or, through the daemon, when
 * an item failed (the items before it were stored).
 */
int		 cli_submit_batch(struct cli *cli, struct cli_put *items, size_t n);
/*
 * Write a batch directly into the store (no daemon may run) through an ingest (ingest/, as
 * fenghuod does), judged by the trust policy when this state directory has anchors.
 * outside 0: written here (INGEST_LOCAL: stored even when the author's chain is unknown
 * here, with policy_reason no-chain: a report written offline must not be lost because its
 * author's certificate has not reached this laptop yet); outside 1: from a bundle
 * (INGEST_IMPORT), judged as a peer's message: one of unknown chain is INGEST_HELD, kept in
 * the held area, not stored. With outside, the held area is taken along: messages whose
 * chain has arrived are stored, and released counts them. EX_OK with every item's status,
 * or an error (printed).
 */
int		 cli_store_batch(struct cli *cli, struct cli_put *items, size_t n, int outside);
/* One envelope: cli_submit_batch() of a single item whose result lands in *result. */
int		 cli_submit(struct cli *cli, const uint8_t *env, size_t len,
		    struct cli_put *result);

/* ctl.c: the client side of fenghuod's control socket (ipc://<state>/fenghuod.sock) */
#define CLI_CTL_TIMEOUT_MS	5000	/* how long a request waits for its reply */
struct cli_ctl;
/*
 * Connect a DEALER to the daemon of cli->state. EX_UNAVAILABLE, silently, when nothing
 * listens there (no socket file, or the stale one of a killed daemon); EX_NOPERM, printed,
 * when this user may not connect to it. The connection is owned by the caller and closed
 * with cli_ctl_close().
 */
int		 cli_ctl_open(struct cli *cli, struct cli_ctl **out);
void		 cli_ctl_close(struct cli_ctl **c);
/* Send {"cmd": cmd}, plus data as a second part unless NULL. 0, or -1 (zmq_errno()). */
int		 cli_ctl_send(struct cli_ctl *c, const char *cmd, const uint8_t *data, size_t len);
/*
 * Wait up to timeout_ms for one message: *obj its JSON object (caller decrefs), *data a
 * malloc()ed copy of its second part or NULL (data may be NULL to drop it). 0, 1 on
 * timeout, -1 with errno EINTR (a signal) or EPROTO (not a JSON object).
 */
int		 cli_ctl_recv(struct cli_ctl *c, int timeout_ms, struct json_t **obj,
		    uint8_t **data, size_t *len);
/*
 * One request and its reply (skipping watch events): *reply (caller decrefs) has "ok"
 * true. Errors are printed: EX_UNAVAILABLE (no answer in time), EX_PROTOCOL (malformed
 * reply), EX_SOFTWARE (the daemon answered "ok": false).
 */
int		 cli_ctl_call(struct cli *cli, struct cli_ctl *c, const char *cmd,
		    const uint8_t *data, size_t len, struct json_t **reply);
/*
 * The same for a request object with more than "cmd" (req is not consumed), waiting up to
 * timeout_ms.
 */
int		 cli_ctl_call_req(struct cli *cli, struct cli_ctl *c, const struct json_t *req,
		    int timeout_ms, struct json_t **reply);
/* Submit item->env to the daemon; fills status, reason and id as a direct write would. */
int		 cli_ctl_submit(struct cli *cli, struct cli_ctl *c, struct cli_put *item);
#define CLI_CTL_IMPORT_MAX	1024	/* envelopes per "import" request (node/ctl.c) */
#define CLI_CTL_IMPORT_BYTES	(1024 * 1024 - 4096)	/* its payload, within 1 MiB */
#define CLI_CTL_IMPORT_TIMEOUT_MS 120000	/* a busy daemon; a stopped one is seen at once */
/*
 * Import items (at most CLI_CTL_IMPORT_MAX, payload within CLI_CTL_IMPORT_BYTES) through the
 * daemon in one request and one commit: each is judged as a peer's message (held, not
 * stored, when its author's chain is unknown there). Fills each item's status as
 * a direct write would (0 for one the daemon could not take). Errors are printed:
 * EX_TEMPFAIL when the daemon stopped; *sent says whether the request had gone out (then the
 * batch may or may not have been committed), EX_UNAVAILABLE/EX_PROTOCOL/EX_SOFTWARE as for
 * cli_ctl_call.
 */
int		 cli_ctl_import(struct cli *cli, struct cli_ctl *c, struct cli_put *items,
		    size_t n, int *sent);
/*
 * The daemon's status reply in *status (caller decrefs) and, if c is not NULL, the open
 * connection. EX_UNAVAILABLE when no daemon runs (silently if nothing listens).
 */
int		 cli_daemon_status(struct cli *cli, struct cli_ctl **c, struct json_t **status);
/* 1 if a daemon owns cli->state and answers, else 0. */
int		 cli_daemon_running(struct cli *cli);
/*
 * A subscription to the daemon's "watch" events (docs/PROTOCOL.md, the control socket) that
 * survives a restart of the daemon: it renews itself, notices within a second that the
 * daemon went away (its socket no longer listens, or a renewal goes unanswered), and then
 * connects and subscribes again with a backoff of 1, 2, 4 and then 5 s. Messages that became
 * new while it was away are not replayed.
 */
struct cli_sub;
enum cli_sub_type {
	CLI_SUB_TIMEOUT,	/* nothing to report yet: call again (deadline reached?) */
	CLI_SUB_MESSAGE,	/* a message became new: id (hex) and its envelope */
	CLI_SUB_LOST,		/* the daemon went away; reconnecting */
	CLI_SUB_BACK,		/* subscribed again to a daemon that came back */
	CLI_SUB_INTR,		/* a signal interrupted the wait */
};
struct cli_sub_event {
	int		 type;		/* enum cli_sub_type */
	const char	*id;		/* MESSAGE: 64 hex digits, or NULL if the event had none */
	const uint8_t	*env;		/* MESSAGE: its envelope, or NULL */
	size_t		 len;
};
/*
 * Subscribe. EX_OK; EX_UNAVAILABLE with "fenghuod is not running" printed when no daemon
 * runs; other errors as cli_ctl_call. Owned by the caller, closed with cli_sub_close().
 */
int		 cli_sub_open(struct cli *cli, struct cli_sub **out);
void		 cli_sub_close(struct cli_sub **s);
/*
 * Wait for the next event until deadline (CLOCK_MONOTONIC ms; 0: none) or for at most a few
 * seconds, whichever is sooner; a TIMEOUT says only that the caller may look at its clocks
 * and signals. *ev stays valid until the next call. EX_OK, or an error already printed (the
 * daemon refused the subscription, a malformed message): the caller gives up.
 */
int		 cli_sub_next(struct cli_sub *s, int64_t deadline, struct cli_sub_event *ev);

/* bundle.c: the bundle file format of docs/BUNDLE.md */
#define BUNDLE_MAGIC		"FHBUNDLE"
#define BUNDLE_MAGIC_LEN	8
#define BUNDLE_VERSION		1
#define BUNDLE_HASHBYTES	32

struct bundle_writer;
/* Create path.tmp for writing; NULL with errno set on failure. */
struct bundle_writer *bundle_create(const char *path);
/* Append one serialized Envelope. 0, or -1 with errno set. */
int		 bundle_add(struct bundle_writer *bw, const uint8_t *env, size_t len);
/* Write the trailer, fsync, rename path.tmp to path. 0, or -1 with errno set. */
int		 bundle_finish(struct bundle_writer *bw, uint32_t *count);
/* Remove path.tmp and free (after an error, or instead of bundle_finish). NULL is fine. */
void		 bundle_abort(struct bundle_writer **bw);

/* What bundle_parse found wrong with the framing (entries are judged separately). */
enum bundle_error {
	BUNDLE_OK = 0,
	BUNDLE_E_MAGIC,		/* not a bundle (magic missing or wrong) */
	BUNDLE_E_VERSION,	/* unknown format version */
	BUNDLE_E_LENGTH,	/* an entry length is 0... or exceeds the envelope limit */
	BUNDLE_E_TRUNCATED,	/* the file ends inside an entry or before the trailer */
	BUNDLE_E_COUNT,		/* trailer count differs from the entries found */
	BUNDLE_E_CHECKSUM,	/* trailer checksum does not match the bytes */
	BUNDLE_E_TRAILING,	/* bytes after the trailer */
};
struct bundle_info {
	int		 error;		/* enum bundle_error */
	size_t		 error_off;	/* byte offset where the problem was found */
	uint32_t	 entries;	/* entries handed to the callback */
	uint32_t	 trailer_count;	/* count the trailer claims (if it was read) */
};
/* A source of bundle bytes: up to n into buf; the count, 0 at the end, -1 on error (errno). */
typedef ssize_t	(*bundle_src_fn)(void *src, void *buf, size_t n);
/*
 * Called for each entry: its bytes (valid during the call only) and the file offset of its
 * length field. 0 to go on.
 */
typedef int	(*bundle_entry_fn)(void *ctx, const uint8_t *env, size_t len, size_t off);
/*
 * Walk a bundle read from rd(src), calling fn for each entry whose length field fits the
 * limits and the file; stop at the first framing problem (a length that cannot be trusted
 * ends the walk). Reads one entry at a time, so memory does not grow with the file.
 * Returns 0 after the walk (the problem, if any, is in info->error), fn's non-zero value,
 * or -1 when the source fails or memory runs out (errno set; info->error_off says where).
 */
int		 bundle_read(bundle_src_fn rd, void *src, bundle_entry_fn fn, void *ctx,
		    struct bundle_info *info);
/* The same over a bundle held in memory. */
int		 bundle_parse(const uint8_t *buf, size_t len, bundle_entry_fn fn, void *ctx,
		    struct bundle_info *info);
const char	*bundle_strerror(int error);

/*
 * trustview.c: the trust state as the CLI sees it: the anchors file <state>/anchors (one
 * hex public key per line, '#' comments; what follows '#' on a key's line is its name) and
 * every CERT and REVOKE message in the store, fed to crypto/'s fc_trust (docs/TRUST.md).
 */
#define CLI_ANCHORS_FILE	"anchors"
/*
 * A new grant starts this long before it is made (not_before_ms): the laptop that uses it
 * may run behind the office's clock, and its first report must not be refused as written
 * before its certificate. Rule 4 of TRUST.md judges the grant at its created time, so the
 * slack lends the subject no authority its issuer lacked.
 */
#define CLI_CERT_SLACK_MS	(60ULL * 60 * 1000)
#define CLI_SHORT_KEY_BYTES	8	/* keys are shown as 16 hex digits in tables */
struct fc_trust;
struct fc_grant;
struct fc_revocation;
/* What fc_grant does not keep, per CERT/REVOKE message id, for display. */
struct cli_trust_note {
	uint8_t		 id[32];
	char		*text;		/* Cert.name or Revoke.reason, or NULL */
	uint8_t		 transport_key[32];
	int		 has_transport_key;
};
struct cli_trust {
	struct fc_trust	*trust;		/* anchors + every stored CERT/REVOKE */
	uint8_t		(*anchors)[32];	/* FC_PUBLICKEYBYTES each */
	char		**anchor_names;	/* the comment on each anchor's line, or NULL */
	size_t		 nanchors;
	struct cli_trust_note *notes;	/* name/reason/transport key of each CERT/REVOKE */
	size_t		 nnotes, capnotes;
	int		 bad;		/* stored CERT/REVOKE messages that did not validate */
};
/*
 * Read <state>/anchors into ct with fc_anchors_read() (missing file: no anchors). EX_CONFIG
 * (printed, with file:line) for a malformed line.
 */
int		 cli_anchors_read(struct cli *cli, struct cli_trust *ct);
/* Append key (32 bytes) to <state>/anchors with a "# name" comment, unless listed already. */
int		 cli_anchors_add(struct cli *cli, const uint8_t *key, const char *name);
/*
 * The anchors and every stored CERT and REVOKE, as a trust state in *ct (release with
 * cli_trust_clear). No store yet is not an error: the state then holds the anchors only.
 */
int		 cli_trust_load(struct cli *cli, struct cli_trust *ct);
void		 cli_trust_clear(struct cli_trust *ct);
/*
 * For `fenghuo show`: the author's chain of msg (author -> cert -> issuer ... -> anchor,
 * with roles, scope and validity), or why there is none. Printed to stdout, or, when obj is
 * not NULL, added to it as "trust". Problems reading the trust state are printed; the
 * message itself is shown either way.
 */
void		 cli_trust_show(struct cli *cli, const struct fc_msg *msg, uint64_t now_ms,
		    struct json_t *obj);
/*
 * CLI-only fc_msg flags, beside FC_MSG_*: what this node's trust state says of a stored
 * message now. Set by cli_trust_mark(); list, show, watch and duty show them as [name] /
 * "name" in the JSON flags (cli_marks).
 *   REVOKED_AUTHOR  its author's key was revoked after it sent it (accepted then, "stay,
 *                   marked" now)
 *   NO_CHAIN        no certificate chain is known here for its author yet (a submission
 *                   stored before the author's certificate arrived)
 *   NOT_AUTHORISED  the policy here rejects it (e.g. a revocation dated back before it, or
 *                   anchors added after it was stored); never a warning in force for duty
 */
#define CLI_MSG_REVOKED_AUTHOR	0x80000000u
#define CLI_MSG_NO_CHAIN	0x40000000u
#define CLI_MSG_NOT_AUTHORISED	0x20000000u
/*   HELD            in the held area, not in the store (imported, waiting for its author's
 *                   certificate); never in force, never confirmed */
#define CLI_MSG_HELD		0x10000000u
/*   CANCELLED       a warning a CANCEL that counts refers to (cli_mark_changes)
 *   SUPERSEDED      a warning an UPDATE that counts refers to, and no such CANCEL */
#define CLI_MSG_CANCELLED	0x08000000u
#define CLI_MSG_SUPERSEDED	0x04000000u
/*
 * The marks of msg, each as " [name]", into buf ("" if none): its status mark first
 * (" [演练]", cli_status_mark), then the names of the CLI_MSG_* flags set on it.
 */
const char	*cli_marks(const struct fc_msg *msg, char *buf, size_t size);
/* Append the names of the CLI_MSG_* flags set on msg to the JSON array a. */
void		 cli_marks_json(const struct fc_msg *msg, struct json_t *a);
/*
 * Set the CLI_MSG_* flags on msg from the trust state (anchors + stored CERT/REVOKE, loaded
 * once per run and kept in cli). Without anchors nothing is marked. cli_trust_forget() drops
 * the kept state (a new CERT/REVOKE).
 */
void		 cli_trust_mark(struct cli *cli, struct fc_msg *msg, uint64_t now_ms);
void		 cli_trust_forget(struct cli *cli);
/*
 * Whether a closed-loop receipt (registered..closed) counts for a report of report_region:
 * its author held verifier over the *report's* region when it signed. Daemons can only check
 * the region the receipt names (the report may not have arrived yet), so a verifier of one
 * township could name its own region on a receipt for another's report; such a receipt is
 * stored, shown, and not counted. 1 without trust anchors (open mode).
 */
int		 cli_receipt_counts(struct cli *cli, const struct Fenghuo__Body *receipt,
		    const char *report_region);
/*
 * Whether a warning UPDATE or CANCEL (change) takes effect on the warning it refers to
 * (target): fc_policy_may_change() against the trust state (the same author, or an issuer
 * for every area of the target). Others are stored, shown, and not counted.
 */
int		 cli_change_counts(struct cli *cli, const struct Fenghuo__Body *change,
		    const struct Fenghuo__Body *target);
/* Lookups in ct (linear; a county has hundreds of keys): NULL when unknown. */
const struct cli_trust_note *cli_trust_note_find(const struct cli_trust *ct,
		    const uint8_t *id);
const struct fc_grant *cli_trust_grant_find(const struct cli_trust *ct, const uint8_t *id);
const char	*cli_trust_anchor_name(const struct cli_trust *ct, const uint8_t *key);
/* The anchor comment of key, else the name in its newest certificate, else NULL. */
const char	*cli_trust_key_name(const struct cli_trust *ct, const uint8_t *key);

/*
 * The roster of an area: the nodes expected to hold a warning for areas (region prefixes).
 * A node is on it when it holds a valid node certificate now (role node, in its validity,
 * its chain valid, not revoked: fc_grant_state()) whose region (scope) lies inside one of
 * the areas; its name and region are those of that certificate (the newest valid one when
 * it has several). A scope of "" (everywhere) names no place and is on no roster. exclude
 * (may be NULL) is left out: a warning's author does not confirm its own warning.
 */
struct cli_roster_node {
	uint8_t		 key[32];	/* FC_PUBLICKEYBYTES */
	const char	*region;	/* the certificate's scope, owned by ct */
	const char	*name;		/* the certificate's name (owned by ct), or NULL */
	const struct fc_grant *grant;
};
/* *out (caller frees) sorted by region, then key. EX_OK or EX_OSERR (printed). */
int		 cli_roster(struct cli *cli, const struct cli_trust *ct, char *const *areas,
		    size_t nareas, const uint8_t *exclude, uint64_t now_ms,
		    struct cli_roster_node **out, size_t *n);
/*
 * The trust state kept in cli for the run (loaded on first use, as cli_trust_mark() uses
 * it), or NULL when it cannot be loaded (said once). Owned by cli.
 */
struct cli_trust *cli_trust_get(struct cli *cli);
/* "admin,issuer,node" of FC_ROLE_BIT()s, or "-"; JSON array of the same. */
void		 cli_roles_str(uint32_t roles, char *buf, size_t size);
struct json_t	*cli_roles_json(uint32_t roles);
/*
 * One grant as JSON (id, subject, roles, scope, validity, granted_by, name, and its state
 * now by fc_grant_state()).
 */
struct json_t	*cli_grant_json(const struct cli_trust *ct, const struct fc_grant *g,
		    uint64_t now_ms);
/* The first CLI_SHORT_KEY_BYTES of key in hex into buf (2*CLI_SHORT_KEY_BYTES+1). */
char		*cli_short_key(const uint8_t *key, char *buf);

#ifdef FH_STORE_H
/*
 * coverage.c: the coverage of a warning (or of an update or cancel: of that message): its
 * roster (cli_roster over its areas, less its author) and which of them confirmed it.
 */
/*
 * How a warning reached a node, as its DELIVERED receipt says (PROTOCOL.md §1, Receipt:
 * via, hops, delay_ms, link); has_*: the field is present.
 */
struct cli_cov_path {
	int		 has_via, has_hops, has_delay, has_link;
	uint8_t		 via[8];	/* WIRE_VIA_BYTES: a key prefix */
	uint32_t	 hops, link;
	uint64_t	 delay_ms;
};
/* cli_cov_node.parent besides a roster index: */
#define CLI_COV_PARENT_AUTHOR	(-1)	/* via names the warning's author */
#define CLI_COV_PARENT_NONE	(-2)	/* no via and no hops: not said (an older receipt) */
#define CLI_COV_PARENT_OFF	(-3)	/* via names no one on the roster (or several) */
#define CLI_COV_PARENT_ENTRY	(-4)	/* no via, 0 hops: where the warning entered the mesh */
struct cli_cov_node {
	struct cli_roster_node r;
	uint64_t	 confirmed_ms;	/* first seen here, of its first DELIVERED receipt; 0: none */
	uint8_t		 receipt[32];	/* that receipt's id */
	struct cli_cov_path path;	/* that receipt's path fields */
	long		 parent;	/* cli_coverage_tree(): a roster index or CLI_COV_PARENT_* */
	/* cli_coverage_heard(), for a node that has not confirmed: heard_ms 0 = never */
	uint64_t	 heard_ms;	/* first seen here, of the newest message by or from it */
	int		 heard_kind;	/* that message's kind */
	uint8_t		 heard_id[32];
	int		 heard_has_from;	/* it came from a peer (heard_from), else local */
	uint8_t		 heard_from[32];
	uint32_t	 heard_hops;
};
struct cli_coverage {
	struct cli_cov_node *nodes;	/* the roster, by region then key */
	size_t		 n, confirmed;
	uint8_t		(*others)[32];	/* DELIVERED receipt authors off the roster */
	size_t		 nothers, capothers;
	uint64_t	 t0;		/* the message's display time (created, or first seen) */
	uint8_t		 author[32];	/* the message's author (the root of its delivery tree) */
	int		 anchors;	/* a trust state with anchors: a roster can exist */
	int		 nomem;
	/* cli_coverage_read_ex: told the author of each DELIVERED receipt, as read */
	void		(*delivered)(void *arg, const uint8_t *author);
	void		*delivered_arg;
};
/*
 * Read the roster and the receipts of msg (seen: its seen record) into *cov (release with
 * cli_coverage_clear). EX_OK, or an error (printed). A message that is not a warning has
 * an empty roster.
 */
int		 cli_coverage_read(struct cli *cli, struct store *st, const struct fc_msg *msg,
		    const struct store_seen *seen, uint64_t now_ms, struct cli_coverage *cov);
/*
 * cli_coverage_read, also calling delivered(arg, author) for every DELIVERED receipt of msg
 * that validates, on the roster or not, in the order the store holds them: a caller that
 * needs the confirming keys too reads the receipts once.
 */
int		 cli_coverage_read_ex(struct cli *cli, struct store *st, const struct fc_msg *msg,
		    const struct store_seen *seen, uint64_t now_ms, struct cli_coverage *cov,
		    void (*delivered)(void *, const uint8_t *), void *arg);
/* Fill in the heard_* fields of the missing nodes: one newest-first pass over the store. */
int		 cli_coverage_heard(struct cli *cli, struct store *st, struct cli_coverage *cov);
/*
 * The delivery tree the receipts draw: the parent of every confirmed node, resolved from
 * its receipt's via against the roster and the author (a prefix matching more than one
 * key resolves to none). Nodes stay in their order; call after cli_coverage_read().
 */
void		 cli_coverage_tree(struct cli_coverage *cov);
/*
 * The name of a key whose first 8 bytes are via, among the warning's author and the keys
 * ct knows (certificate subjects): NULL when none or more than one matches; *key (may be
 * NULL) is set to the one that does.
 */
const char	*cli_coverage_via_name(const struct cli_coverage *cov, const struct cli_trust *ct,
		    const uint8_t *via, const uint8_t **key);
/* "zeromq", "stream" or "unknown" for a Receipt.link value. */
const char	*cli_link_name(uint32_t link);
/* ms from t0 until percent of the roster had confirmed; UINT64_MAX if not (yet). */
uint64_t	 cli_coverage_time_to(const struct cli_coverage *cov, unsigned percent);
void		 cli_coverage_clear(struct cli_coverage *cov);
#endif

/*
 * regions.c: names of region codes from China's code table (data/regions/, installed in
 * share/fenghuo/regions; $FENGHUO_REGIONS overrides where it is looked for). A table that
 * is missing gives no names: callers then show codes only. The names are owned by the
 * module and live as long as the process.
 */
#define CLI_REGION_PLACE_MAX	200	/* bytes of cli_region_place()'s result */
/* 1 if a region table was found. */
int		 cli_regions_available(void);
/* The name of a province (2 digits), city (4), county (6) or township (9), or NULL. */
const char	*cli_region_name(const char *code);
/* The name of the deepest level of the table that contains code ("径山镇"), or NULL. */
const char	*cli_region_deepest(const char *code);
/*
 * The names of the two deepest levels of the table that contain code, "余杭区 径山镇" for a
 * township or one of its villages, "杭州市 余杭区" for a county, into buf; "" when none is
 * known. Returns buf.
 */
const char	*cli_region_place(const char *code, char *buf, size_t size);

/* cmd_trace.c */
/*
 * Trace message idhex (64 hex digits) through the running daemon, waiting timeout_s
 * seconds for answers: *out is the object `fenghuo trace --json` prints (caller owns it).
 * EX_OK, EX_UNAVAILABLE when fenghuod is not running, or another error; all printed.
 */
int		 cli_trace_query(struct cli *cli, const char *idhex, int timeout_s,
		    struct json_t **out);

/* The verbs (cmd_*.c), listed in fenghuo.c. */
extern const struct cmd_entry cmd_keygen_entry;
extern const struct cmd_entry cmd_backup_entry;
extern const struct cmd_entry cmd_restore_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_warn_entry;
extern const struct cmd_entry cmd_receipt_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_peers_entry;
extern const struct cmd_entry cmd_watch_entry;
extern const struct cmd_entry cmd_duty_entry;
extern const struct cmd_entry cmd_coverage_entry;
extern const struct cmd_entry cmd_trace_entry;
extern const struct cmd_entry cmd_cap_entry;
extern const struct cmd_entry cmd_drill_entry;
extern const struct cmd_entry cmd_board_entry;
extern const struct cmd_entry cmd_cert_entry;
extern const struct cmd_entry cmd_enrol_entry;
extern const struct cmd_entry cmd_revoke_entry;
extern const struct cmd_entry cmd_keys_entry;
extern const struct cmd_entry cmd_init_county_entry;

#endif /* FH_FENGHUO_H */
