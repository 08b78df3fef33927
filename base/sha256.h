/*
 * SHA-256 (FIPS 180-4), for checking what names itself by its digest (an
 * OCI image's blobs: "sha256:" and 64 hex digits).
 */
#ifndef BASE_SHA256_H
#define BASE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	32
#define SHA256_HEX_LEN	64

struct sha256 {
	uint32_t h[8];
	uint64_t len;			/* bytes so far */
	uint8_t block[64];
	size_t used;			/* bytes in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);
/* The digest of a file's contents as lower-case hex (SHA256_HEX_LEN + 1 bytes): 0 or -errno. */
int sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1]);

#endif
