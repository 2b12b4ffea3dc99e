/* SPDX-License-Identifier: MIT */
/* layout_c.c - the public structs' layout as the C compiler sees it. */
#include "layout.h"

#include <stdalign.h>

#define ENTRY(s, f) {#s "." #f, sizeof(struct s), alignof(struct s), offsetof(struct s, f)},
static const struct smm_layout_entry table[] = {SMM_LAYOUT_FIELDS(ENTRY)};

size_t layout_c(const struct smm_layout_entry **out)
{
    *out = table;
    return sizeof(table) / sizeof(table[0]);
}
