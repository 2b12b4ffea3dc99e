/* SPDX-License-Identifier: MIT */
/* bytes_text.c - byte counts as text in binary units (bytes_text.h). */
#include "bytes_text.h"

#include <stdio.h>
#include <string.h>

const char *smm_bytes_text(uint64_t bytes, enum smm_bytes_style style, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    unsigned u = 0;
    while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024; /* exact: a power of two */
        u++;
    }
    if (style == SMM_BYTES_HUNDREDTHS) {
        snprintf(buf, len, v == (double)(uint64_t)v ? "%.0f %s" : "%.2f %s", v, units[u]);
        return buf;
    }
    char num[32];
    snprintf(num, sizeof(num), "%.*f", v >= 100 ? 0 : v >= 10 ? 1 : 2, v);
    if (strchr(num, '.')) {
        size_t k = strlen(num);
        while (num[k - 1] == '0')
            num[--k] = '\0';
        if (num[k - 1] == '.')
            num[k - 1] = '\0';
    }
    snprintf(buf, len, "%s %s", num, units[u]);
    return buf;
}
