/* SPDX-License-Identifier: MIT */
/* maps_index.c - read the "Merged RAM intervals per file" list of INDEX.md. */
#include "maps_index.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t maps_index_load(const char *dir, struct index_map *maps, size_t cap)
{
    char path[512], line[8192];
    size_t n = 0;
    snprintf(path, sizeof(path), "%s/INDEX.md", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f) && n < cap) {
        if (strncmp(line, "- `", 3) != 0 || !strstr(line, "`: ["))
            continue;
        struct index_map *m = &maps[n];
        char *name = line + 3, *tick = strchr(name, '`');
        *tick = '\0';
        snprintf(m->name, sizeof(m->name), "%.95s", name);
        m->nr = 0;
        for (char *p = strchr(tick + 1, '['); p && m->nr < MAPS_MAX_RANGES;
             p = strchr(p + 1, '[')) {
            uint64_t s, e;
            if (sscanf(p, "[%" SCNx64 ", %" SCNx64 ")", &s, &e) != 2)
                continue;
            uint64_t first = (s + SMM_PAGE_SIZE - 1) >> SMM_PAGE_SHIFT, last = e >> SMM_PAGE_SHIFT;
            if (first < last)
                m->frames[m->nr++] = (struct smm_frame_range){first, last};
        }
        n++;
    }
    fclose(f);
    return n;
}

const struct index_map *maps_index_find(const struct index_map *maps, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(maps[i].name, name))
            return &maps[i];
    return NULL;
}
