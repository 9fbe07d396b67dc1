/*
 * test_crypto.c: unit tests of crypto/ keys, signatures, ids, hex and UTF-8.
 *
 * Ed25519 is pinned to RFC 8032 section 7.1: the key pair derived from each seed and the
 * signature must match the published bytes exactly (Ed25519 signing is deterministic), and
 * the negative cases are the ways a broken verifier says yes. Key files are written to a
 * fresh mkdtemp() directory that each test removes.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto.h"

struct vector {
	const char *name;
	const char *seed;
	const char *pk;
	const char *msg;
	const char *sig;
};

/* RFC 8032, section 7.1 (checked against two independent transcriptions). */
static const struct vector rfc8032[] = {
	{ "TEST 1",
	    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	    "",
	    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "TEST 2",
	    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	    "72",
	    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "TEST 3",
	    "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
	    "af82",
	    "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	    "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
	{ "TEST 1024",
	    "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
	    "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
	    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98"
	    "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8"
	    "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
	    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc"
	    "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
	    "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
	    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef"
	    "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7"
	    "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
	    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
	    "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24"
	    "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
	    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc"
	    "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07"
	    "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
	    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a"
	    "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e"
	    "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
	    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c"
	    "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
	    "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
	    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08"
	    "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649"
	    "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
	    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
	    "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e"
	    "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
	    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5"
	    "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1"
	    "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
	    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c"
	    "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0",
	    "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
	    "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03" },
	{ "TEST SHA(abc)",
	    "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
	    "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
	    /* SHA-512("abc") */
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	    "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
	    "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704" },
};

/* The order of the Ed25519 group, little-endian: S + L is the classic malleated S. */
static const uint8_t group_order[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
	0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
};

/* Decode a vector's hex of any length into a fresh buffer (caller frees). */
static uint8_t *
unhex_any(const char *hex, size_t *len)
{
	uint8_t	*buf;
	size_t	 n = strlen(hex);

	assert_int_equal(n % 2, 0);
	*len = n / 2;
	buf = malloc(*len + 1);
	assert_non_null(buf);
	if (*len > 0)
		assert_int_equal(fc_unhex(hex, buf, *len), 0);
	return buf;
}

static void
test_rfc8032_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc8032) / sizeof(rfc8032[0]); i++) {
		const struct vector	*v = &rfc8032[i];
		struct fc_key		*key = NULL;
		uint8_t			 seed[FC_SEEDBYTES], pk[32], want[64], sig[64];
		uint8_t			*msg;
		size_t			 msglen;

		print_message("%s\n", v->name);
		assert_int_equal(fc_unhex(v->seed, seed, sizeof(seed)), 0);
		assert_int_equal(fc_unhex(v->pk, pk, sizeof(pk)), 0);
		assert_int_equal(fc_unhex(v->sig, want, sizeof(want)), 0);
		msg = unhex_any(v->msg, &msglen);

		assert_int_equal(fc_key_from_seed(seed, &key), 0);
		assert_memory_equal(fc_key_public(key), pk, 32);
		fc_sign(key, msg, msglen, sig);
		assert_memory_equal(sig, want, 64);
		assert_int_equal(fc_verify(pk, msg, msglen, want), 0);

		fc_key_free(&key);
		assert_null(key);
		free(msg);
	}
}

static void
test_verify_rejects(void **state)
{
	const struct vector	*v = &rfc8032[2];	/* TEST 3: two-byte message */
	struct fc_key		*other = NULL;
	uint8_t			 pk[32], sig[64], bad[64], msg[2];
	unsigned		 i, carry;

	(void)state;
	assert_int_equal(fc_unhex(v->pk, pk, 32), 0);
	assert_int_equal(fc_unhex(v->sig, sig, 64), 0);
	assert_int_equal(fc_unhex(v->msg, msg, 2), 0);
	assert_int_equal(fc_verify(pk, msg, 2, sig), 0);

	/* Any flipped bit of the signature. */
	for (i = 0; i < 64 * 8; i += 7) {
		memcpy(bad, sig, 64);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(fc_verify(pk, msg, 2, bad), -1);
	}
	/* A flipped bit of the message, a truncated message. */
	msg[1] ^= 0x01;
	assert_int_equal(fc_verify(pk, msg, 2, sig), -1);
	msg[1] ^= 0x01;
	assert_int_equal(fc_verify(pk, msg, 1, sig), -1);
	assert_int_equal(fc_verify(pk, msg, 0, sig), -1);
	/* The right signature under someone else's key. */
	assert_int_equal(fc_key_generate(&other), 0);
	assert_int_equal(fc_verify(fc_key_public(other), msg, 2, sig), -1);
	fc_key_free(&other);
	/* Non-canonical S: S + L satisfies the group equation but must be refused. */
	memcpy(bad, sig, 64);
	for (i = 0, carry = 0; i < 32; i++) {
		unsigned t = bad[32 + i] + group_order[i] + carry;

		bad[32 + i] = (uint8_t)t;
		carry = t >> 8;
	}
	assert_int_equal(carry, 0);
	assert_int_equal(fc_verify(pk, msg, 2, bad), -1);
	/* All-zero signature. */
	memset(bad, 0, 64);
	assert_int_equal(fc_verify(pk, msg, 2, bad), -1);
}

static void
test_generate_sign(void **state)
{
	struct fc_key	*a = NULL, *b = NULL;
	uint8_t		 sig[64];
	const char	*m = "烽火 test";

	(void)state;
	assert_int_equal(fc_key_generate(&a), 0);
	assert_int_equal(fc_key_generate(&b), 0);
	assert_memory_not_equal(fc_key_public(a), fc_key_public(b), 32);
	fc_sign(a, (const uint8_t *)m, strlen(m), sig);
	assert_int_equal(fc_verify(fc_key_public(a), (const uint8_t *)m, strlen(m), sig), 0);
	assert_int_equal(fc_verify(fc_key_public(b), (const uint8_t *)m, strlen(m), sig), -1);
	fc_key_free(&a);
	fc_key_free(&b);
	fc_key_free(&a);	/* NULL is fine */
	fc_key_free(NULL);
}

/* ---- key files ---------------------------------------------------------------------- */

struct tmp {
	char dir[64];
	char path[128];
};

static int
tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/fh-crypto-XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/node.key", t->dir);
	*state = t;
	return 0;
}

static int
tmp_teardown(void **state)
{
	struct tmp *t = *state;

	unlink(t->path);
	rmdir(t->dir);
	free(t);
	return 0;
}

static void
write_file(const char *path, const uint8_t *buf, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static size_t
read_file(const char *path, uint8_t *buf, size_t max)
{
	ssize_t	n;
	int	fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, max);
	assert_true(n >= 0);
	close(fd);
	return (size_t)n;
}

static void
test_keyfile_roundtrip(void **state)
{
	struct tmp	*t = *state;
	struct fc_key	*key = NULL, *loaded = NULL;
	struct stat	 st;
	uint8_t		 sig[64];

	assert_int_equal(fc_key_generate(&key), 0);
	assert_int_equal(fc_key_save(key, t->path), 0);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 69);

	assert_int_equal(fc_key_load(t->path, &loaded), 0);
	assert_non_null(loaded);
	assert_memory_equal(fc_key_public(loaded), fc_key_public(key), 32);
	fc_sign(loaded, (const uint8_t *)"x", 1, sig);
	assert_int_equal(fc_verify(fc_key_public(key), (const uint8_t *)"x", 1, sig), 0);

	/* Never overwrite an existing key. */
	assert_int_equal(fc_key_save(key, t->path), EEXIST);
	fc_key_free(&key);
	fc_key_free(&loaded);

	/* A missing file is an errno. */
	unlink(t->path);
	assert_int_equal(fc_key_load(t->path, &loaded), ENOENT);
	assert_null(loaded);
}

static void
test_keyfile_refuses(void **state)
{
	struct tmp	*t = *state;
	struct fc_key	*key = NULL, *loaded = NULL;
	uint8_t		 good[80], bad[80];
	size_t		 n;
	int		 rc;

	assert_int_equal(fc_key_generate(&key), 0);
	assert_int_equal(fc_key_save(key, t->path), 0);
	n = read_file(t->path, good, sizeof(good));
	assert_int_equal(n, 69);
	assert_memory_equal(good, "FHSK\x01", 5);

	/* Readable by group or others: refused, whatever the content. */
	assert_int_equal(chmod(t->path, 0644), 0);
	assert_int_equal(fc_key_load(t->path, &loaded), FC_EKEYPERM);
	assert_int_equal(chmod(t->path, 0640), 0);
	assert_int_equal(fc_key_load(t->path, &loaded), FC_EKEYPERM);
	assert_int_equal(chmod(t->path, 0604), 0);
	assert_int_equal(fc_key_load(t->path, &loaded), FC_EKEYPERM);
	assert_null(loaded);

	/* Wrong magic, wrong version. */
	memcpy(bad, good, n);
	bad[0] = 'X';
	write_file(t->path, bad, n, 0600);
	assert_int_equal(fc_key_load(t->path, &loaded), FC_EKEYFMT);
	memcpy(bad, good, n);
	bad[4] = 2;
	write_file(t->path, bad, n, 0600);
	assert_int_equal(fc_key_load(t->path, &loaded), FC_EKEYFMT);
	/* Short, long, empty. */
	write_file(t->path, good, n - 1, 0600);
	assert_int_equal(fc_key_load(t->path, &loaded), FC_EKEYFMT);
	memcpy(bad, good, n);
	bad[n] = 0;
	write_file(t->path, bad, n + 1, 0600);
	assert_int_equal(fc_key_load(t->path, &loaded), FC_EKEYFMT);
	write_file(t->path, good, 0, 0600);
	assert_int_equal(fc_key_load(t->path, &loaded), FC_EKEYFMT);
	/* Public half not matching the seed: corrupt. */
	memcpy(bad, good, n);
	bad[n - 1] ^= 0x40;
	write_file(t->path, bad, n, 0600);
	assert_int_equal(fc_key_load(t->path, &loaded), FC_EKEYFMT);
	assert_null(loaded);

	/* The good bytes, rewritten by hand, load again. */
	write_file(t->path, good, n, 0600);
	rc = fc_key_load(t->path, &loaded);
	assert_int_equal(rc, 0);
	assert_memory_equal(fc_key_public(loaded), fc_key_public(key), 32);
	fc_key_free(&loaded);
	fc_key_free(&key);

	/* A directory is not a key file. */
	assert_int_equal(fc_key_load(t->dir, &loaded), FC_EKEYFMT);
}

/* ---- hex ---------------------------------------------------------------------------- */

static void
test_hex(void **state)
{
	const uint8_t	bin[4] = { 0x00, 0xab, 0x7f, 0xff };
	uint8_t		out[4];
	char		hex[9];

	(void)state;
	assert_string_equal(fc_hex(bin, 4, hex), "00ab7fff");
	assert_string_equal(fc_hex(bin, 0, hex), "");
	assert_int_equal(fc_unhex("00ab7fff", out, 4), 0);
	assert_memory_equal(out, bin, 4);
	assert_int_equal(fc_unhex("00AB7FFF", out, 4), 0);
	assert_memory_equal(out, bin, 4);
	assert_int_equal(fc_unhex("00ab7ff", out, 4), FC_EHEX);
	assert_int_equal(fc_unhex("00ab7fff0", out, 4), FC_EHEX);
	assert_int_equal(fc_unhex("00ab7ffg", out, 4), FC_EHEX);
	assert_int_equal(fc_unhex(" 0ab7fff", out, 4), FC_EHEX);
	assert_int_equal(fc_unhex("", out, 0), 0);
	assert_int_equal(fc_unhex(NULL, out, 4), FC_EHEX);

	assert_int_equal(fc_is_id_prefix("0123abcd"), 1);
	assert_int_equal(fc_is_id_prefix("0123ABCD"), 1);
	assert_int_equal(fc_is_id_prefix("0123abc"), 0);
	assert_int_equal(fc_is_id_prefix("0123abcg"), 0);
	assert_int_equal(fc_is_id_prefix(""), 0);
	assert_int_equal(fc_is_id_prefix(NULL), 0);
	assert_int_equal(fc_is_id_prefix(
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), 1);
	assert_int_equal(fc_is_id_prefix(
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0"), 0);
}

static void
test_memeq_strerror(void **state)
{
	(void)state;
	assert_int_equal(fc_memeq_ct("abcd", "abcd", 4), 0);
	assert_int_not_equal(fc_memeq_ct("abcd", "abce", 4), 0);
	assert_string_equal(fc_strerror(0), "success");
	assert_non_null(strstr(fc_strerror(FC_EKEYPERM), "group or others"));
	assert_string_equal(fc_strerror(ENOENT), strerror(ENOENT));
	assert_string_equal(fc_strerror(-999), "unknown error");
}

/* ---- UTF-8 and region codes --------------------------------------------------------- */

#define U8(s)	fc_utf8_valid((s), sizeof(s) - 1)

static void
test_utf8(void **state)
{
	(void)state;
	assert_int_equal(U8(""), 1);
	assert_int_equal(U8("flood at the bridge"), 1);
	assert_int_equal(U8("烽火：暴雨红色预警"), 1);
	assert_int_equal(U8("\xc2\x80"), 1);			/* U+0080 */
	assert_int_equal(U8("\xdf\xbf"), 1);			/* U+07FF */
	assert_int_equal(U8("\xe0\xa0\x80"), 1);		/* U+0800 */
	assert_int_equal(U8("\xed\x9f\xbf"), 1);		/* U+D7FF */
	assert_int_equal(U8("\xee\x80\x80"), 1);		/* U+E000 */
	assert_int_equal(U8("\xef\xbf\xbf"), 1);		/* U+FFFF */
	assert_int_equal(U8("\xf0\x9f\x94\xa5"), 1);		/* U+1F525 */
	assert_int_equal(U8("\xf4\x8f\xbf\xbf"), 1);		/* U+10FFFF */

	assert_int_equal(U8("a\0b"), 0);			/* NUL */
	assert_int_equal(U8("\xc0\x80"), 0);			/* overlong NUL */
	assert_int_equal(U8("\xc1\xbf"), 0);			/* overlong */
	assert_int_equal(U8("\xe0\x80\x80"), 0);		/* overlong */
	assert_int_equal(U8("\xe0\x9f\xbf"), 0);		/* overlong U+07FF */
	assert_int_equal(U8("\xf0\x80\x80\x80"), 0);		/* overlong */
	assert_int_equal(U8("\xf0\x8f\xbf\xbf"), 0);		/* overlong U+FFFF */
	assert_int_equal(U8("\xed\xa0\x80"), 0);		/* U+D800 */
	assert_int_equal(U8("\xed\xbf\xbf"), 0);		/* U+DFFF */
	assert_int_equal(U8("\xf4\x90\x80\x80"), 0);		/* U+110000 */
	assert_int_equal(U8("\xf5\x80\x80\x80"), 0);
	assert_int_equal(U8("\xff"), 0);
	assert_int_equal(U8("\x80"), 0);			/* lone continuation */
	assert_int_equal(U8("a\xbf"), 0);
	assert_int_equal(U8("\xe7\x83"), 0);			/* truncated 烽 */
	assert_int_equal(U8("\xe7\x83\xbd\xe7"), 0);		/* 烽 + truncated */
	assert_int_equal(U8("\xf0\x9f\x94"), 0);		/* truncated */
	assert_int_equal(U8("\xe7\x83\x41"), 0);		/* bad continuation */
	assert_int_equal(U8("\xc3\xc3"), 0);
	/* The length is honoured: a valid prefix of an invalid buffer is valid. */
	assert_int_equal(fc_utf8_valid("ab\xff", 2), 1);
}

static void
test_region(void **state)
{
	(void)state;
	assert_int_equal(fc_region_valid("33"), 1);
	assert_int_equal(fc_region_valid("3301"), 1);
	assert_int_equal(fc_region_valid("330102"), 1);
	assert_int_equal(fc_region_valid("330102001"), 1);
	assert_int_equal(fc_region_valid("330102001001"), 1);
	assert_int_equal(fc_region_valid(NULL), 0);
	assert_int_equal(fc_region_valid(""), 0);
	assert_int_equal(fc_region_valid("3"), 0);
	assert_int_equal(fc_region_valid("330"), 0);
	assert_int_equal(fc_region_valid("33010"), 0);
	assert_int_equal(fc_region_valid("3301020"), 0);
	assert_int_equal(fc_region_valid("3301020010"), 0);
	assert_int_equal(fc_region_valid("3301020010011"), 0);
	assert_int_equal(fc_region_valid("33010a"), 0);
	assert_int_equal(fc_region_valid("33 102"), 0);
	assert_int_equal(fc_region_valid("-33102"), 0);
}

/*
 * The verify cache (fc_verify_cache_enable): a signature that verified costs no second
 * check, while anything else (a flipped bit, another message, another key) is still
 * checked and still refused. Last in the list: the cache is process-wide.
 */
static void
test_verify_cache(void **state)
{
	struct fc_key	*key = NULL;
	const char	*m = "the same stored message, read on every request";
	uint8_t		 sig[FC_SIGBYTES], bad[FC_SIGBYTES];
	const uint8_t	*pk;
	uint64_t	 n0;

	(void)state;
	assert_int_equal(fc_key_generate(&key), 0);
	pk = fc_key_public(key);
	fc_sign(key, (const uint8_t *)m, strlen(m), sig);
	assert_int_equal(fc_verify_cache_enable(1024), 0);
	assert_int_equal(fc_verify_cache_enable(8), 0);	/* once per process */

	n0 = fc_verify_count();
	assert_int_equal(fc_verify(pk, (const uint8_t *)m, strlen(m), sig), 0);
	assert_int_equal(fc_verify_count(), n0 + 1);
	assert_int_equal(fc_verify(pk, (const uint8_t *)m, strlen(m), sig), 0);
	assert_int_equal(fc_verify(pk, (const uint8_t *)m, strlen(m), sig), 0);
	assert_int_equal(fc_verify_count(), n0 + 1);

	memcpy(bad, sig, sizeof(bad));
	bad[10] ^= 0x04;
	assert_int_equal(fc_verify(pk, (const uint8_t *)m, strlen(m), bad), -1);
	assert_int_equal(fc_verify(pk, (const uint8_t *)m, strlen(m), bad), -1);
	assert_int_equal(fc_verify_count(), n0 + 3);
	assert_int_equal(fc_verify(pk, (const uint8_t *)m, strlen(m) - 1, sig), -1);
	{
		uint8_t other[FC_PUBLICKEYBYTES];

		memcpy(other, pk, sizeof(other));
		other[0] ^= 0x01;
		assert_int_equal(fc_verify(other, (const uint8_t *)m, strlen(m), sig), -1);
	}
	assert_int_equal(fc_verify_count(), n0 + 5);
	fc_key_free(&key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8032_vectors),
		cmocka_unit_test(test_verify_rejects),
		cmocka_unit_test(test_generate_sign),
		cmocka_unit_test_setup_teardown(test_keyfile_roundtrip, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_keyfile_refuses, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_memeq_strerror),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_region),
		cmocka_unit_test(test_verify_cache),
	};

	if (fc_init() != 0) {
		fprintf(stderr, "fc_init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
