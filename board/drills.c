/*
 * drills.c: the drill reports the duty board shows (docs/BOARD.md, "Drill reports").
 *
 * A drills directory holds one subdirectory per report, as `fenghuo drill report ID -o
 * DIR/NAME` writes it: report.md, report.json and the pictures. This file lists them, renders
 * a report.md to HTML with cmark-gfm's safe renderer (raw HTML and script links dropped) and
 * opens the files the report refers to. It knows nothing of HTTP: board.c answers with what it
 * returns.
 *
 * Everything is read relative to a descriptor of the drills directory, opened again for each
 * request (the directory may be created, or a report added, while the board runs): a report's
 * directory and its files are opened with openat() and O_NOFOLLOW, their names from a fixed
 * character set, so that no name and no symbolic link inside the directory reaches outside it.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <jansson.h>

#include "board.h"

#define DRILLS_TITLE_MAX	240	/* bytes of a title in the list */
#define DRILLS_HEAD_MAX		(64 * 1024)	/* where the list looks for the title */
#define DRILLS_PICTURES_MAX	64	/* pictures listed per report */

/* The files a report has that the board serves, with their types. */
static const struct {
	const char	*ext, *type;
	int		 picture;
} drills_types[] = {
	{ ".md", "text/markdown; charset=utf-8", 0 },
	{ ".json", "application/json", 0 },
	{ ".png", "image/png", 1 },
	{ ".svg", "image/svg+xml", 1 },
};

static pthread_once_t drills_once = PTHREAD_ONCE_INIT;

static void
drills_register(void)
{
	cmark_gfm_core_extensions_ensure_registered();
}

int
drills_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= DRILLS_NAME_MAX && s[0] != '.' && strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* The index in drills_types of file's extension, or -1. */
static int
drills_ext(const char *file)
{
	const char *dot = strrchr(file, '.');
	size_t i;

	for (i = 0; dot != NULL && i < sizeof(drills_types) / sizeof(drills_types[0]); i++)
		if (strcmp(dot, drills_types[i].ext) == 0)
			return (int)i;
	return -1;
}

const char *
drills_type(const char *file)
{
	int i = drills_ext(file);

	return i >= 0 ? drills_types[i].type : NULL;
}

int
drills_file_ok(const char *file)
{
	return drills_name_ok(file) && drills_ext(file) >= 0;
}

/* The drills directory, opened: a descriptor, or -1 with errno set. */
static int
drills_opendir(const char *dir)
{
	if (dir == NULL) {
		errno = ENOENT;
		return -1;
	}
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* errno as the board reports it: a symbolic link or a non-directory is "not there". */
static int
drills_errno(void)
{
	return errno == ELOOP || errno == ENOTDIR || errno == EMLINK ? ENOENT : errno;
}

/* Report name's directory under dfd: a descriptor, or -1 with *err set. */
static int
drills_openreport(int dfd, const char *name, int *err)
{
	int fd;

	if (!drills_name_ok(name)) {
		*err = EINVAL;
		return -1;
	}
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		*err = drills_errno();
	return fd;
}

/*
 * A regular file of a report, not a symbolic link, of at most max bytes: its descriptor
 * and size, or -1 with *err set (EFBIG when larger).
 */
static int
drills_openfile(int rfd, const char *file, uint64_t max, uint64_t *size, int *err)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO put there must not hold the request. */
	if ((fd = openat(rfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1) {
		*err = drills_errno();
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*err = ENOENT;
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > max) {
		*err = EFBIG;
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* Up to max bytes of fd into a new buffer (caller frees; NUL-terminated), *len its length. */
static char *
drills_slurp(int fd, size_t max, size_t *len)
{
	char *buf;
	size_t n = 0;
	ssize_t r;

	if ((buf = malloc(max + 1)) == NULL)
		return NULL;
	while (n < max && (r = read(fd, buf + n, max - n)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			free(buf);
			return NULL;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * The text of the first ATX heading ("# Title") in md, as a JSON string; NULL when there is
 * none or it is not UTF-8. Cut to DRILLS_TITLE_MAX bytes on a character boundary.
 */
static json_t *
drills_title(const char *md, size_t len)
{
	const char *p = md, *end = md + len, *eol, *s, *e;
	size_t n;

	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		s = p;
		while (s < eol && s - p < 3 && *s == ' ')
			s++;
		for (n = 0; s < eol && *s == '#'; s++)
			n++;
		if (n == 0 || n > 6 || (s < eol && *s != ' ' && *s != '\t'))
			continue;
		e = eol;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '#'))
			e--;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if ((size_t)(e - s) > DRILLS_TITLE_MAX) {
			e = s + DRILLS_TITLE_MAX;
			while (e > s && ((unsigned char)*e & 0xc0) == 0x80)
				e--;
		}
		return json_stringn(s, (size_t)(e - s));
	}
	return NULL;
}

static int
drills_cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One report for the list: {"name", "title", "time_ms", "pictures"}, or NULL to leave out. */
static json_t *
drills_entry(int dfd, const char *name)
{
	struct stat st;
	char *pics[DRILLS_PICTURES_MAX], *head;
	size_t len, npics = 0, i;
	json_t *o, *title;
	struct dirent *de;
	uint64_t size;
	DIR *d;
	int rfd, fd, err, dup;

	if ((rfd = drills_openreport(dfd, name, &err)) == -1)
		return NULL;
	if ((fd = drills_openfile(rfd, "report.md", DRILLS_MD_MAX, &size, &err)) == -1 ||
	    fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		close(rfd);
		return NULL;
	}
	head = drills_slurp(fd, DRILLS_HEAD_MAX, &len);
	close(fd);
	title = head != NULL ? drills_title(head, len) : NULL;
	free(head);
	o = json_pack("{s:s, s:o, s:I, s:[]}", "name", name,
	    "title", title != NULL ? title : json_string(name),
	    "time_ms", (json_int_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000,
	    "pictures");
	/* The pictures the board serves: regular files (not links) within the limit. */
	if (o != NULL && (dup = fcntl(rfd, F_DUPFD_CLOEXEC, 0)) != -1) {
		if ((d = fdopendir(dup)) == NULL)
			close(dup);
		while (d != NULL && (de = readdir(d)) != NULL && npics < DRILLS_PICTURES_MAX) {
			if (!drills_file_ok(de->d_name) ||
			    !drills_types[drills_ext(de->d_name)].picture ||
			    fstatat(rfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
			    !S_ISREG(st.st_mode) || (uint64_t)st.st_size > DRILLS_FILE_MAX ||
			    (pics[npics] = strdup(de->d_name)) == NULL)
				continue;
			npics++;
		}
		if (d != NULL)
			closedir(d);
	}
	if (npics > 0)
		qsort(pics, npics, sizeof(pics[0]), drills_cmp_name);
	for (i = 0; i < npics; i++) {
		json_array_append_new(json_object_get(o, "pictures"), json_string(pics[i]));
		free(pics[i]);
	}
	close(rfd);
	return o;
}

static int
drills_cmp_entry(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t tx = json_integer_value(json_object_get(x, "time_ms"));
	json_int_t ty = json_integer_value(json_object_get(y, "time_ms"));

	if (tx != ty)
		return tx < ty ? 1 : -1;
	return strcmp(json_string_value(json_object_get(x, "name")),
	    json_string_value(json_object_get(y, "name")));
}

int
drills_list(const char *dir, json_t **out)
{
	json_t **v = NULL, *a, *o;
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;
	int dfd, rc = 0;

	if ((a = json_array()) == NULL)
		return ENOMEM;
	if ((dfd = drills_opendir(dir)) == -1) {
		/* No drills directory: no reports. */
		if (errno == ENOENT) {
			*out = a;
			return 0;
		}
		json_decref(a);
		return errno;
	}
	if ((d = fdopendir(dfd)) == NULL) {
		rc = errno;
		close(dfd);
		json_decref(a);
		return rc;
	}
	if ((v = calloc(DRILLS_LIST_MAX, sizeof(*v))) == NULL)
		rc = ENOMEM;
	while (rc == 0 && n < DRILLS_LIST_MAX && (de = readdir(d)) != NULL) {
		if (!drills_name_ok(de->d_name) || (o = drills_entry(dirfd(d), de->d_name)) == NULL)
			continue;
		v[n++] = o;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), drills_cmp_entry);
	for (i = 0; i < n; i++)
		json_array_append_new(a, v[i]);
	free(v);
	if (rc != 0) {
		json_decref(a);
		return rc;
	}
	*out = a;
	return 0;
}

/*
 * Point the report's own pictures and files at the board's URLs: "coverage.svg" in report
 * NAME is /drills/NAME/coverage.svg. An image that is not a file of the report is dropped (the
 * page shows nothing from elsewhere); other links stay as the safe renderer leaves them.
 */
static int
drills_relink(cmark_node *doc, const char *name)
{
	char url[sizeof("/drills//") + 2 * DRILLS_NAME_MAX];
	cmark_iter *it;
	cmark_event_type ev;
	cmark_node *n;
	cmark_node_type t;
	const char *u;
	int ok = 1;

	if ((it = cmark_iter_new(doc)) == NULL)
		return -1;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		t = cmark_node_get_type(n);
		if (ev != CMARK_EVENT_ENTER || (t != CMARK_NODE_IMAGE && t != CMARK_NODE_LINK))
			continue;
		u = cmark_node_get_url(n);
		if (u != NULL && drills_file_ok(u)) {
			snprintf(url, sizeof(url), "/drills/%s/%s", name, u);
			ok = cmark_node_set_url(n, url) && ok;
		} else if (t == CMARK_NODE_IMAGE)
			ok = cmark_node_set_url(n, "") && ok;
	}
	cmark_iter_free(it);
	return ok ? 0 : -1;
}

/* The page's frame: the board's own index.html, its main view replaced by the report. */
static int
drills_frame(const char **pre, size_t *npre, const char **post, size_t *npost)
{
	static const char view[] = "<main id=\"view\"></main>";
	const char *page = NULL, *at;
	size_t i, len = 0;

	for (i = 0; i < board_nassets; i++)
		if (strcmp(board_assets[i].path, "/index.html") == 0) {
			page = (const char *)board_assets[i].data;
			len = board_assets[i].len;
		}
	if (page == NULL || (at = strstr(page, view)) == NULL)
		return -1;
	*pre = page;
	*npre = (size_t)(at - page);
	*post = at + strlen(view);
	*npost = len - *npre - strlen(view);
	return 0;
}

int
drills_page(const char *dir, const char *name, char **html, size_t *len)
{
	static const char open_main[] = "<main id=\"report\" class=\"report\">\n";
	static const char close_main[] = "</main>";
	cmark_parser *p = NULL;
	cmark_syntax_extension *table;
	cmark_node *doc = NULL;
	const char *pre, *post;
	size_t npre, npost, mdlen, blen;
	uint64_t size;
	char *md = NULL, *body = NULL, *out = NULL;
	int dfd = -1, rfd = -1, fd = -1, rc;

	pthread_once(&drills_once, drills_register);
	if (!drills_name_ok(name))
		return EINVAL;
	if (drills_frame(&pre, &npre, &post, &npost) != 0)
		return EIO;
	if ((dfd = drills_opendir(dir)) == -1)
		return drills_errno();
	if ((rfd = drills_openreport(dfd, name, &rc)) == -1 ||
	    (fd = drills_openfile(rfd, "report.md", DRILLS_MD_MAX, &size, &rc)) == -1)
		goto err;
	rc = ENOMEM;
	if ((md = drills_slurp(fd, (size_t)size, &mdlen)) == NULL) {
		rc = errno != 0 ? errno : ENOMEM;
		goto err;
	}
	/*
	 * Safe rendering is cmark's default (CMARK_OPT_UNSAFE not given): raw HTML becomes a
	 * comment and javascript:, vbscript:, file: and data: links (but data: images) become
	 * empty. The table extension, because the report's figures are GitHub-style tables.
	 */
	if ((p = cmark_parser_new(CMARK_OPT_VALIDATE_UTF8)) == NULL ||
	    (table = cmark_find_syntax_extension("table")) == NULL ||
	    cmark_parser_attach_syntax_extension(p, table) == 0)
		goto err;
	cmark_parser_feed(p, md, mdlen);
	if ((doc = cmark_parser_finish(p)) == NULL || drills_relink(doc, name) != 0 ||
	    (body = cmark_render_html(doc, CMARK_OPT_DEFAULT,
	    cmark_parser_get_syntax_extensions(p))) == NULL)
		goto err;
	blen = strlen(body);
	if ((out = malloc(npre + sizeof(open_main) + blen + sizeof(close_main) + npost)) == NULL)
		goto err;
	memcpy(out, pre, npre);
	*len = npre;
	memcpy(out + *len, open_main, strlen(open_main));
	*len += strlen(open_main);
	memcpy(out + *len, body, blen);
	*len += blen;
	memcpy(out + *len, close_main, strlen(close_main));
	*len += strlen(close_main);
	memcpy(out + *len, post, npost);
	*len += npost;
	*html = out;
	rc = 0;
err:
	free(body);
	if (doc != NULL)
		cmark_node_free(doc);
	if (p != NULL)
		cmark_parser_free(p);
	free(md);
	if (fd != -1)
		close(fd);
	if (rfd != -1)
		close(rfd);
	close(dfd);
	return rc;
}

int
drills_open(const char *dir, const char *name, const char *file, int *fd, uint64_t *size)
{
	int dfd, rfd, rc = 0;

	if (!drills_name_ok(name) || !drills_file_ok(file))
		return EINVAL;
	if ((dfd = drills_opendir(dir)) == -1)
		return drills_errno();
	*fd = -1;
	if ((rfd = drills_openreport(dfd, name, &rc)) != -1) {
		*fd = drills_openfile(rfd, file, DRILLS_FILE_MAX, size, &rc);
		close(rfd);
	}
	close(dfd);
	return *fd == -1 ? rc : 0;
}
