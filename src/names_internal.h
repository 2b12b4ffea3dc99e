/* SPDX-License-Identifier: MIT */
/*
 * names_internal.h - the core's one name-table lookup (scheme names in
 * pdx.c, backend names in p2m.c): no libc, so no strcmp.
 */
#ifndef SPARSEMM_SRC_NAMES_INTERNAL_H
#define SPARSEMM_SRC_NAMES_INTERNAL_H

#include <sparsemm/sparsemm.h>

/*
 * smm_name_index - the index of name in names[0..count) (exact, case
 * sensitive), or count when it is not there or name is NULL.
 */
static inline unsigned smm_name_index(const char *const *names, unsigned count,
                                      const char *name)
{
    for (unsigned i = 0; name && i < count; i++) {
        const char *a = name, *b = names[i];
        while (*a && *a == *b) {
            a++;
            b++;
        }
        if (*a == *b)
            return i;
    }
    return count;
}

#endif
