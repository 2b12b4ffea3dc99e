/* SPDX-License-Identifier: MIT */
/* format.c - the stable names of the input formats (--format, JSON). */
#include <sparsemm/io/memmap_io.h>

#include <string.h>

static const char *const format_names[SMM_FMT_COUNT] = {
    [SMM_FMT_AUTO] = "auto",   [SMM_FMT_E820] = "e820",   [SMM_FMT_EFI] = "efi",
    [SMM_FMT_IOMEM] = "iomem", [SMM_FMT_SYSFS] = "sysfs", [SMM_FMT_XL] = "xl",
    [SMM_FMT_SRAT] = "srat",   [SMM_FMT_NODES] = "nodes", [SMM_FMT_DTS] = "dts",
    [SMM_FMT_DTB] = "dtb",     [SMM_FMT_PLAIN] = "plain",
};

const char *smm_format_name(enum smm_format f)
{
    return (unsigned)f < SMM_FMT_COUNT ? format_names[f] : "unknown";
}

enum smm_format smm_format_from_name(const char *name)
{
    if (!name)
        return SMM_FMT_COUNT;
    for (unsigned f = 0; f < SMM_FMT_COUNT; f++)
        if (strcmp(name, format_names[f]) == 0)
            return (enum smm_format)f;
    return SMM_FMT_COUNT;
}
