/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Definitions shared by every module: time units, burst size, the log
 * macro pattern and DPDK version shims.
 */
#ifndef SF_COMMON_H
#define SF_COMMON_H

#include <stdint.h>

#include <rte_log.h>
#include <rte_version.h>

#define SF_NS_PER_S  UINT64_C(1000000000)
#define SF_NS_PER_MS UINT64_C(1000000)
#define SF_NS_PER_US UINT64_C(1000)

/* Packets handled per rx burst and per processing step. */
#define SF_BURST 32

/* Flows kept per interval in each worker's and the merged top list. */
#define SF_TOPK 10

/*
 * Each module declares its own log type:
 *   RTE_LOG_REGISTER(sf_logtype_<mod>, user.spanflow.<mod>, INFO);
 *   #define MOD_LOG(level, fmt, ...) SF_LOG_TYPE(sf_logtype_<mod>, level, fmt, ## __VA_ARGS__)
 */
#define SF_LOG_TYPE(type, level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, (type), "spanflow: " fmt "\n", ## __VA_ARGS__)

#ifndef RTE_VERSION_NUM
#error "DPDK version macros missing"
#endif

#if RTE_VERSION < RTE_VERSION_NUM(22, 11, 0, 0)
#error "spanflow needs DPDK 22.11 or newer"
#endif

#endif /* SF_COMMON_H */
