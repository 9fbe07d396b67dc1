/*
 * helper.h: building signed test messages for the store tests.
 *
 * Bodies are built with protobuf-c and sealed with fc_envelope_seal(), exactly as a real
 * author would, so every test message passes (or, deliberately, fails) fc_validate().
 */
#ifndef FH_TESTS_STORE_HELPER_H
#define FH_TESTS_STORE_HELPER_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

/* A sealed envelope and its id. env is malloc()ed; release with th_msg_clear(). */
struct th_msg {
	uint8_t		*env;
	size_t		 len;
	uint8_t		 id[FC_IDBYTES];
};

/* Seal body (version and author are filled in here). 0 or an fc_ error. */
int	th_seal(const struct fc_key *key, Fenghuo__Body *body, struct th_msg *out);
/* A REPORT from region 110101001001 with the given created time, title and text. */
int	th_report(const struct fc_key *key, uint64_t created_ms, const char *title,
	    const char *text, struct th_msg *out);
/* A RECEIPT (stage REGISTERED) referring to ref. */
int	th_receipt(const struct fc_key *key, uint64_t created_ms, const uint8_t ref[FC_IDBYTES],
	    struct th_msg *out);
/* A RECEIPT of stage (Fenghuo__Stage) referring to ref. */
int	th_receipt_stage(const struct fc_key *key, uint64_t created_ms,
	    const uint8_t ref[FC_IDBYTES], int stage, struct th_msg *out);
/* A red WARNING for area 110101 created at created_ms, expiring at expires_ms. */
int	th_warning(const struct fc_key *key, uint64_t created_ms, uint64_t expires_ms,
	    struct th_msg *out);
void	th_msg_clear(struct th_msg *m);

/* A fresh temporary directory (mkdtemp), and its recursive removal. */
char	*th_tmpdir(void);
void	 th_rmdir(char *dir);

#endif
