/* SPDX-License-Identifier: BSD-3-Clause */
/* placeholder: being written */
#include "sf_quic.h"
#include <errno.h>
#include <stdlib.h>
struct sf_quic { int unused; };
struct sf_quic *sf_quic_create(void) { errno = EINVAL; return NULL; }
void sf_quic_free(struct sf_quic *q) { free(q); }
bool sf_quic_is_initial(const uint8_t *p, size_t n) { (void)p; (void)n; return false; }
int sf_quic_client_datagram(struct sf_quic *q, struct sf_quic_flow *f, const uint8_t *p, size_t n, struct sf_app_buf *hello)
{ (void)q; (void)f; (void)p; (void)n; (void)hello; return -1; }
