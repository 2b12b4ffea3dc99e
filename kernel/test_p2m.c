/* SPDX-License-Identifier: MIT */
#include "kernel.h"
void test_p2m(struct smm_platform *plat)
{
    (void)plat;
}
