/* SPDX-License-Identifier: MIT */
/* error.c - names of the -SMM_E* error codes. */
#include <sparsemm/sparsemm.h>

static const char *const messages[SMM_ERROR_COUNT] = {
    [SMM_OK] = "success",
    [SMM_EINVAL] = "invalid argument",
    [SMM_ENOMEM] = "out of memory",
    [SMM_ENOSPC] = "buffer too small",
    [SMM_ERANGE] = "out of range",
    [SMM_EOVERLAP] = "overlapping RAM ranges disagree",
    [SMM_EEMPTY] = "no RAM in memory map",
    [SMM_ENOTSUP] = "not supported",
    [SMM_EFAULT] = "platform failure",
    [SMM_EMAPLIMIT] = "mapping limit reached (vm.max_map_count), not out of memory",
    [SMM_EBUSY] = "a concurrent writer kept changing it; try again",
};

const char *smm_strerror(int code)
{
    if (code < 0)
        code = -code;
    return code < SMM_ERROR_COUNT ? messages[code] : "unknown error";
}
