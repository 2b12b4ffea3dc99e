/* SPDX-License-Identifier: MIT */
/*
 * diag.h - the one channel for reasons: a code and a line of text.
 *
 * Every function that can say why it failed takes an optional
 * struct smm_diag * as its last parameter (NULL: say nothing) and, on failure, fills it with the
 * same negative -SMM_E* code it returns and a text, "source:line: what is
 * wrong" when a source line is known, otherwise "what is wrong".  The first
 * reason written wins until smm_diag_clear().  The core formats with the
 * small writers below (no libc); the hosted layer adds a printf-style
 * smm_diag_set() in <sparsemm/io/memmap_io.h>.
 */
#ifndef SPARSEMM_DIAG_H
#define SPARSEMM_DIAG_H

#include <sparsemm/sparsemm.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMM_DIAG_MSG_MAX 512

struct smm_diag {
    int code;            /* the -SMM_E* code returned; 0 while nothing failed */
    uint32_t line;       /* source line the reason is about; 0 if none */
    uint32_t other_line; /* a second line (the other side of a conflict); 0 if none */
    char msg[SMM_DIAG_MSG_MAX];
};

/* smm_diag_clear - nothing failed yet.  NULL is allowed. */
SMM_API void smm_diag_clear(struct smm_diag *d);

/*
 * smm_diag_begin - start a reason: sets code (negative) and clears the text.
 * Returns false (write nothing) when d is NULL or already holds a reason.
 * Append with the writers below; the text is cut, never overrun.
 */
SMM_API bool smm_diag_begin(struct smm_diag *d, int code);
SMM_API void smm_diag_str(struct smm_diag *d, const char *s);
SMM_API void smm_diag_u64(struct smm_diag *d, uint64_t v);
SMM_API void smm_diag_hex(struct smm_diag *d, uint64_t v); /* 0x-prefixed */
/* Bytes in the largest binary unit that divides them exactly ("3 GiB"). */
SMM_API void smm_diag_bytes(struct smm_diag *d, uint64_t b);

#ifdef __cplusplus
}
#endif

#endif
