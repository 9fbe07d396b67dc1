/*
 * held.c: the held area of a state directory, <dir>/held/: messages that came from outside
 * (a bundle import) and validated, but whose author's certificate chain is not known on this
 * node yet. They are not in the store (nothing of unknown chain from outside is stored); the
 * daemon keeps them in memory while it runs and is also given them here, so that they
 * survive a restart, and a USB stick that is gone tomorrow loses nothing.
 *
 * One file per message, named by its id in hex, holding the serialized Envelope as it
 * arrived: written to a temporary name, fsynced, renamed, the directory fsynced. A file is
 * only ever replaced by the same bytes (its name is their hash), so readers need no lock;
 * the held time is the file's modification time.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "wire.h"

#define HELD_DIR	"held"

/* <dir>/held[/<id hex>[suffix]] into buf; -1 when it does not fit. */
static int
held_path(const char *dir, const uint8_t *id, const char *suffix, char *buf, size_t size)
{
	char hex[FC_IDHEX];
	int k;

	if (id == NULL)
		k = snprintf(buf, size, "%s/%s", dir, HELD_DIR);
	else
		k = snprintf(buf, size, "%s/%s/%s%s", dir, HELD_DIR, fc_hex(id, FC_IDBYTES, hex),
		    suffix);
	return k < 0 || (size_t)k >= size ? -1 : 0;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		if ((k = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* 1 if name is a held message's file name (an id in hex), its id in id. */
static int
held_name(const char *name, uint8_t id[FC_IDBYTES])
{
	return strlen(name) == 2 * FC_IDBYTES && fc_unhex(name, id, FC_IDBYTES) == 0;
}

int
store_held_count(const char *dir, size_t *count)
{
	char d[PATH_MAX];
	uint8_t id[FC_IDBYTES];
	struct dirent *de;
	DIR *dp;

	*count = 0;
	if (held_path(dir, NULL, "", d, sizeof(d)) == -1)
		return ENAMETOOLONG;
	if ((dp = opendir(d)) == NULL)
		return errno == ENOENT ? 0 : errno;
	while ((de = readdir(dp)) != NULL)
		if (held_name(de->d_name, id))
			(*count)++;
	closedir(dp);
	return 0;
}

int
store_held_put(const char *dir, const uint8_t id[FC_IDBYTES], const uint8_t *env, size_t len,
    size_t *count)
{
	char d[PATH_MAX], tmp[PATH_MAX], path[PATH_MAX];
	struct stat sb;
	int fd, dfd, err;

	if (len == 0 || len > WIRE_ENVELOPE_MAX)
		return STORE_EINVAL;
	if (held_path(dir, NULL, "", d, sizeof(d)) == -1 ||
	    held_path(dir, id, "", path, sizeof(path)) == -1 ||
	    held_path(dir, id, ".tmp", tmp, sizeof(tmp)) == -1)
		return ENAMETOOLONG;
	if (stat(path, &sb) == 0)
		return 0;	/* held already: the same bytes */
	if (*count == SIZE_MAX && (err = store_held_count(dir, count)) != 0)
		return err;
	if (*count >= STORE_HELD_MAX)
		return STORE_EHELDFULL;
	if (mkdir(d, 0750) == -1 && errno != EEXIST)
		return errno;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640)) == -1)
		return errno;
	if (write_all(fd, env, len) == -1 || fsync(fd) == -1) {
		err = errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		err = errno;
		unlink(tmp);
		return err;
	}
	(*count)++;
	if ((dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

int
store_held_del(const char *dir, const uint8_t id[FC_IDBYTES])
{
	char path[PATH_MAX];

	if (held_path(dir, id, "", path, sizeof(path)) == -1)
		return ENAMETOOLONG;
	if (unlink(path) == -1 && errno != ENOENT)
		return errno;
	return 0;
}

/* Read the held file at path (at most WIRE_ENVELOPE_MAX bytes) into buf. Its length, or -1. */
static ssize_t
read_file(const char *path, uint8_t *buf, size_t size, uint64_t *mtime_ms)
{
	struct stat sb;
	ssize_t k;
	size_t n = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    (size_t)sb.st_size > size) {
		close(fd);
		return -1;
	}
	while (n < (size_t)sb.st_size) {
		k = read(fd, buf + n, (size_t)sb.st_size - n);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (n != (size_t)sb.st_size)
		return -1;
	*mtime_ms = (uint64_t)sb.st_mtim.tv_sec * 1000 + (uint64_t)sb.st_mtim.tv_nsec / 1000000;
	return (ssize_t)n;
}

int
store_held_iter(const char *dir, uint64_t now_ms, store_held_fn fn, void *arg)
{
	char d[PATH_MAX], path[PATH_MAX];
	uint8_t id[FC_IDBYTES], *buf;
	struct dirent *de;
	uint64_t mtime;
	ssize_t len;
	DIR *dp;
	int rc = 0;

	if (held_path(dir, NULL, "", d, sizeof(d)) == -1)
		return ENAMETOOLONG;
	if ((dp = opendir(d)) == NULL)
		return errno == ENOENT ? 0 : errno;
	if ((buf = malloc(WIRE_ENVELOPE_MAX)) == NULL) {
		closedir(dp);
		return ENOMEM;
	}
	while ((de = readdir(dp)) != NULL) {
		/* Only names that are an id: temporary files and strangers are left alone. */
		if (!held_name(de->d_name, id))
			continue;
		if (held_path(dir, id, "", path, sizeof(path)) == -1)
			continue;
		/* A file removed meanwhile, or not one of ours: skipped, validation judges the rest. */
		if ((len = read_file(path, buf, WIRE_ENVELOPE_MAX, &mtime)) == -1)
			continue;
		if (mtime < now_ms && now_ms - mtime > STORE_HELD_TTL_MS) {
			(void)unlink(path);
			continue;
		}
		if ((rc = fn(arg, id, buf, (size_t)len, mtime)) != 0)
			break;
	}
	free(buf);
	closedir(dp);
	return rc;
}
