/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

int main(void);

int
main(void)
{
	printf("spanflow: not yet\n");
	return 1;
}
