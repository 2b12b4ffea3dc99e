/* SPDX-License-Identifier: MIT */
/*
 * cli_size.c - the one number parser of the CLI: every count, size and
 * address an option or argument takes goes through cli_parse_u64(), and
 * every refusal through cli_number_opt(), which names the valid range.
 *
 *   4096   0x1000   4K   4KiB   1.5T   0x10M   (K M G T P: powers of 1024)
 */
#include "cli.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The multiplier a suffix stands for ("", K, KB, KiB, ...), or 0 for junk. */
static uint64_t suffix_mult(const char *s)
{
    static const char units[] = "KMGTP";
    if (*s == '\0')
        return 1;
    const char *u = strchr(units, toupper((unsigned char)*s));
    if (!u)
        return 0;
    const char *rest = s + 1;
    if (!strcmp(rest, "") || !strcasecmp(rest, "B") || !strcasecmp(rest, "iB"))
        return UINT64_C(1) << (10 * (unsigned)(u - units + 1));
    return 0;
}

bool cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s)
        return false;
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    const char *p = hex ? s + 2 : s;
    uint64_t ipart = 0, frac = 0, fden = 1;
    unsigned digits = 0;
    for (; hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p); p++, digits++) {
        unsigned d = isdigit((unsigned char)*p) ? (unsigned)(*p - '0')
                                                : (unsigned)(toupper((unsigned char)*p) - 'A' + 10);
        uint64_t base = hex ? 16 : 10;
        if (ipart > (UINT64_MAX - d) / base)
            return false;
        ipart = ipart * base + d;
    }
    if (digits == 0)
        return false;
    if (!hex && *p == '.') { /* a fraction, only before a suffix: 1.5T */
        for (p++; isdigit((unsigned char)*p); p++) {
            if (fden == 1000)
                return false; /* three decimals are plenty */
            frac = frac * 10 + (uint64_t)(*p - '0');
            fden *= 10;
        }
        if (fden == 1)
            return false;
    }
    uint64_t mult = suffix_mult(p);
    if (mult == 0 || (fden > 1 && mult == 1))
        return false;
    if (ipart > UINT64_MAX / mult)
        return false;
    uint64_t v = ipart * mult;
    if (fden > 1) {
        /* frac/fden of mult must be a whole number of bytes; < 1000 * 2^50 */
        uint64_t f = frac * mult;
        if (f % fden != 0 || v > UINT64_MAX - f / fden)
            return false;
        v += f / fden;
    }
    *out = v;
    return true;
}

const char *cli_range_text(uint64_t v, enum cli_unit unit, char *buf, size_t len)
{
    if (unit == CLI_UNIT_BYTES && v >= 1024 && v % 1024 == 0)
        return cli_human_bytes(v, buf, len); /* whole KiB: exact enough to read */
    if (v == UINT64_MAX && unit != CLI_UNIT_ADDRESS)
        snprintf(buf, len, "2^64-1");
    else if (unit == CLI_UNIT_ADDRESS)
        snprintf(buf, len, "0x%" PRIx64, v);
    else
        snprintf(buf, len, "%" PRIu64, v);
    return buf;
}

bool cli_number_opt(const char *cmd, const char *opt, const char *val, uint64_t min,
                    uint64_t max, enum cli_unit unit, uint64_t *out)
{
    uint64_t v = 0;
    if (val && cli_parse_u64(val, &v) && v >= min && v <= max) {
        *out = v;
        return true;
    }
    char lo[32], hi[32];
    cli_range_text(min, unit, lo, sizeof(lo));
    cli_range_text(max, unit, hi, sizeof(hi));
    static const char *const what[] = {"a number", "a size", "an address"};
    if (!val)
        fprintf(stderr, "sparsemm%s%s: %s needs %s in %s..%s\n", *cmd ? " " : "", cmd, opt,
                what[unit], lo, hi);
    else
        fprintf(stderr, "sparsemm%s%s: %s: '%s' is not %s in %s..%s%s\n", *cmd ? " " : "",
                cmd, opt, val,
                what[unit], lo, hi,
                unit == CLI_UNIT_NUMBER ? "" : " (bytes, 0x hex, suffixes K M G T P)");
    return false;
}
