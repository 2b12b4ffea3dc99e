/* SPDX-License-Identifier: MIT */
/* diag.c - the core's bounded writers for struct smm_diag (no libc). */
#include <sparsemm/diag.h>

void smm_diag_clear(struct smm_diag *d)
{
    if (!d)
        return;
    d->code = 0;
    d->line = 0;
    d->other_line = 0;
    d->msg[0] = '\0';
}

bool smm_diag_begin(struct smm_diag *d, int code)
{
    if (!d || d->code != 0)
        return false;
    d->code = code < 0 ? code : -code;
    d->msg[0] = '\0';
    return true;
}

void smm_diag_str(struct smm_diag *d, const char *s)
{
    if (!d)
        return;
    size_t pos = 0;
    while (pos < SMM_DIAG_MSG_MAX - 1 && d->msg[pos])
        pos++;
    while (*s && pos < SMM_DIAG_MSG_MAX - 1)
        d->msg[pos++] = *s++;
    d->msg[pos] = '\0';
}

static void put_digits(struct smm_diag *d, uint64_t v, unsigned base)
{
    static const char digits[] = "0123456789abcdef";
    char out[24];
    int n = (int)sizeof(out) - 1;
    out[n] = '\0';
    do {
        out[--n] = digits[v % base];
        v /= base;
    } while (v);
    smm_diag_str(d, &out[n]);
}

void smm_diag_u64(struct smm_diag *d, uint64_t v)
{
    put_digits(d, v, 10);
}

void smm_diag_hex(struct smm_diag *d, uint64_t v)
{
    smm_diag_str(d, "0x");
    put_digits(d, v, 16);
}

void smm_diag_bytes(struct smm_diag *d, uint64_t b)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned u = 0;
    while (u < 6 && b >= 1024 && b % 1024 == 0) {
        b /= 1024;
        u++;
    }
    smm_diag_u64(d, b);
    smm_diag_str(d, " ");
    smm_diag_str(d, units[u]);
}
