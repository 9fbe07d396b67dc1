/*
 * keyfile.c: reading and writing the small secret key files of crypto/ (see keyfile.h).
 *
 * Both key.c (Ed25519 signing key) and tkey.c (Curve25519 transport key) store their keys
 * through here, so that the rules about permissions, exclusive creation, symbolic links and
 * durability exist once. The content of the files (magic, version, key layout) is each
 * caller's business.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "keyfile.h"

/* Read exactly len bytes; 0, an errno value, or FC_EKEYFMT on a short file. */
static int
read_full(int fd, uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = read(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return FC_EKEYFMT;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_full(int fd, const uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
keyfile_read(const char *path, uint8_t *buf, size_t len)
{
	struct stat st;
	uint8_t extra;
	ssize_t n;
	int fd, rc;

	/* O_NOFOLLOW: the permission check below must be about the file we read. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errno;
	if (fstat(fd, &st) == -1) {
		rc = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = FC_EKEYFMT;
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		rc = FC_EKEYPERM;
		goto out;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size != len) {
		rc = FC_EKEYFMT;
		goto out;
	}
	if ((rc = read_full(fd, buf, len)) != 0)
		goto out;
	/* The file may have grown since fstat(); a longer file is not ours either. */
	while ((n = read(fd, &extra, 1)) == -1 && errno == EINTR)
		;
	if (n != 0)
		rc = n < 0 ? errno : FC_EKEYFMT;
out:
	close(fd);
	return rc;
}

/* fsync the directory holding path, so that the new file's name is durable too. */
static int
fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash;
	size_t n;
	int fd, rc = 0;

	if ((slash = strrchr(path, '/')) == NULL) {
		strcpy(dir, ".");
	} else {
		n = (size_t)(slash - path);
		if (n == 0)
			n = 1;	/* "/file": the root directory */
		if (n >= sizeof(dir))
			return ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno;
	if (fsync(fd) == -1)
		rc = errno;
	close(fd);
	return rc;
}

int
keyfile_write(const char *path, const uint8_t *buf, size_t len)
{
	int fd, rc;

	/* O_EXCL: never replace an existing key, and never follow a planted link. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return errno;
	if ((rc = write_full(fd, buf, len)) == 0 && fsync(fd) == -1)
		rc = errno;
	if (close(fd) == -1 && rc == 0)
		rc = errno;
	if (rc != 0) {
		/* A half-written key file would be refused at load time anyway; remove it. */
		unlink(path);
		return rc;
	}
	return fsync_parent(path);
}
