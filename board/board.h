/*
 * board.h: `fenghuo board`, the duty room's web board (docs/BOARD.md).
 *
 * The board is a verb of the CLI, so that it reads the store and the daemon exactly as
 * `fenghuo duty`, `coverage`, `trace` and `peers` do: it runs those verbs' readers with a
 * JSON sink (cli->json_sink) instead of standard output, and serves what they produce.
 */
#ifndef FH_BOARD_H
#define FH_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A file of the pages, built into the binary (board_assets.c, generated from board/static). */
struct board_asset {
	const char		*path;	/* "/board.js" */
	const unsigned char	*data;
	size_t			 len;
};
extern const struct board_asset board_assets[];
extern const size_t board_nassets;

/*
 * drills.c: the drill reports of a drills directory, each a subdirectory NAME holding a
 * report.md (`fenghuo drill report ID -o DIR/NAME`). dir may be NULL (no drills directory).
 * Names are checked with drills_name_ok: 1 to 128 of [A-Za-z0-9._-], not starting with '.'.
 * The functions return 0, or an errno: EINVAL for a name that is not allowed, ENOENT for
 * nothing there (a symbolic link or anything but a regular file or directory counts as
 * nothing), EFBIG for a file over the limit, others for the file system. Safe to call from
 * several threads at once.
 */
#define DRILLS_NAME_MAX		128			/* a report's or a file's name */
#define DRILLS_LIST_MAX		1000			/* reports in a list */
#define DRILLS_MD_MAX		(4 * 1024 * 1024)	/* a report.md to render */
#define DRILLS_FILE_MAX		(16 * 1024 * 1024)	/* a file to serve */

/* Whether s may name a report (a subdirectory). */
int		 drills_name_ok(const char *s);
/* Whether file may name a file of a report: a name with the extension .md, .json, .png or .svg. */
int		 drills_file_ok(const char *file);
/* The Content-Type of such a file (static), or NULL. */
const char	*drills_type(const char *file);
/*
 * The reports in dir, newest first (report.md's modification time), at most
 * DRILLS_LIST_MAX: a JSON array (caller owns) of {"name", "title" (report.md's first heading,
 * else the name), "time_ms", "pictures" (the .png and .svg files, sorted)}. No directory
 * gives an empty array.
 */
int		 drills_list(const char *dir, json_t **out);
/*
 * Report name's report.md as an HTML page (*html, caller frees, *len bytes): the board's page
 * layout with the Markdown rendered by cmark-gfm's safe renderer (no raw HTML, no script
 * links), the report's own files linked as /drills/NAME/FILE, other images dropped.
 */
int		 drills_page(const char *dir, const char *name, char **html, size_t *len);
/* A file of report name, opened for reading: *fd (caller closes) and its *size. */
int		 drills_open(const char *dir, const char *name, const char *file, int *fd,
		    uint64_t *size);

#endif
