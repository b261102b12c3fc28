-- SPDX-License-Identifier: BSD-3-Clause
-- spanflow's ClickHouse schema (export.clickhouse). The exporter runs these
-- statements when it connects, so tables are created where missing and left
-- alone where they exist; this file is compiled into the binary, and is here
-- to be read, or run by hand with the names filled in.
--
-- {database}, {flows} and {intervals} stand for export.clickhouse_database
-- (or the URL's /DATABASE), export.clickhouse_flows_table and
-- export.clickhouse_intervals_table. A statement after a line
-- "-- spanflow: requires X.Y" is run only on a server of that version or
-- newer (the exporter asks SELECT version() first): it is how the TTLs,
-- which ClickHouse has had since 19.6, stay out of Debian 12's 18.16.
--
-- Column names are the JSON keys of the records (--flows) and of the
-- intervals' counters (--intervals), so a query reads like the JSON. A key
-- a record does not carry (the TCP health of a UDP flow, a tunnel's VNI)
-- is stored as its type's default: 0, '' or []. A key the table does not
-- know (a newer spanflow) is dropped by the server
-- (input_format_skip_unknown_fields), never an error.
--
-- Two columns are not in the JSON: probe (export.probe, the host name by
-- default: several probes can share a table) and export_batch (the insert
-- that carried the row: the run's start time in ns plus the batch's number
-- in the run). After an insert whose answer never came, the exporter counts
-- the rows of (probe, export_batch) before sending it again, so a row is
-- stored once even when the server died during the insert.

CREATE DATABASE IF NOT EXISTS {database};

-- Flow records: one row per record (a long flow's active-timeout updates
-- are rows of their own, as in the JSON).
CREATE TABLE IF NOT EXISTS {database}.{flows} (
	probe String,
	export_batch UInt64,
	start_ns UInt64,		-- Unix time in ns
	end_ns UInt64,
	src_addr String,		-- the initiator
	src_port UInt16,
	dst_addr String,
	dst_port UInt16,
	proto UInt8,
	ip_version UInt8,
	vlan UInt16,
	tunnel String,			-- the tunnel context kind in the key
	tunnel_id UInt64,
	ingress_port UInt32,
	packets UInt64,			-- initiator to responder
	bytes UInt64,
	rev_packets UInt64,		-- responder to initiator
	rev_bytes UInt64,
	tcp_flags UInt8,
	rev_tcp_flags UInt8,
	dscp UInt8,
	end_reason String,
	sampling String,
	sampling_rate UInt32,
	-- what carried a tunnelled flow
	encap String,
	outer_src String,
	outer_dst String,
	erspan_session UInt32,
	vni UInt32,
	gre_key UInt32,
	teid UInt32,
	mpls_label1 UInt32,
	mpls_label2 UInt32,
	mpls_label3 UInt32,
	-- TCP health (tcp.analysis)
	rtt_server_ns UInt64,
	rtt_client_ns UInt64,
	retrans_packets UInt64,
	rev_retrans_packets UInt64,
	retrans_bytes UInt64,
	rev_retrans_bytes UInt64,
	ooo_packets UInt64,
	rev_ooo_packets UInt64,
	dup_acks UInt64,
	rev_dup_acks UInt64,
	zero_windows UInt64,
	rev_zero_windows UInt64,
	tcp_init_flags UInt8,
	rev_tcp_init_flags UInt8,
	syn_mss UInt16,
	rev_syn_mss UInt16,
	syn_wscale UInt16,
	rev_syn_wscale UInt16,
	syn_sack UInt8,
	rev_syn_sack UInt8,
	syn_ts UInt8,
	rev_syn_ts UInt8,
	syn_packets UInt64,
	rev_syn_packets UInt64,
	fin_packets UInt64,
	rev_fin_packets UInt64,
	rst_packets UInt64,
	rev_rst_packets UInt64,
	psh_packets UInt64,
	rev_psh_packets UInt64,
	ack_packets UInt64,
	rev_ack_packets UInt64,
	urg_packets UInt64,
	rev_urg_packets UInt64,
	conn_state String,
	history String,
	-- application metadata (app.enabled)
	app String,
	tls_sni String,
	tls_alpn String,
	tls_version String,
	tls_ja3 String,
	tls_ja4 String,
	quic_version UInt32,
	dns_qname String,
	dns_qtype UInt16,
	dns_rcode UInt8,
	http_host String,
	http_method String,
	http_user_agent String,
	-- flow features (features.enabled), nfstream's names
	bidirectional_min_ps UInt32,
	bidirectional_mean_ps Float64,
	bidirectional_stddev_ps Float64,
	bidirectional_max_ps UInt32,
	src2dst_min_ps UInt32,
	src2dst_mean_ps Float64,
	src2dst_stddev_ps Float64,
	src2dst_max_ps UInt32,
	dst2src_min_ps UInt32,
	dst2src_mean_ps Float64,
	dst2src_stddev_ps Float64,
	dst2src_max_ps UInt32,
	bidirectional_min_piat_ms Float64,
	bidirectional_mean_piat_ms Float64,
	bidirectional_stddev_piat_ms Float64,
	bidirectional_max_piat_ms Float64,
	src2dst_min_piat_ms Float64,
	src2dst_mean_piat_ms Float64,
	src2dst_stddev_piat_ms Float64,
	src2dst_max_piat_ms Float64,
	dst2src_min_piat_ms Float64,
	dst2src_mean_piat_ms Float64,
	dst2src_stddev_piat_ms Float64,
	dst2src_max_piat_ms Float64,
	splt_direction Array(Int8),	-- features.splt: -1 past the flow's last packet
	splt_ps Array(Int32),
	splt_piat_ms Array(Float64),
	-- computed by the server from the above (not sent; not in SELECT *)
	start_time DateTime MATERIALIZED toDateTime(intDiv(start_ns, 1000000000)),
	end_time DateTime MATERIALIZED toDateTime(intDiv(end_ns, 1000000000))
) ENGINE = MergeTree()
PARTITION BY toYYYYMMDD(end_time)
ORDER BY (probe, end_time);

-- Per-minute totals of the flow records by probe and protocol, kept up to
-- date by the server on every insert into {flows}. A record counts in the
-- minute it ended. SummingMergeTree adds rows of one key up as it merges
-- parts, in the background: query it with sum() and GROUP BY.
CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.{flows}_minute
ENGINE = SummingMergeTree()
PARTITION BY toYYYYMMDD(minute)
ORDER BY (probe, minute, proto)
AS SELECT
	probe,
	toStartOfMinute(toDateTime(intDiv(end_ns, 1000000000))) AS minute,
	proto,
	count() AS flows,
	sum(packets + rev_packets) AS packets,
	sum(bytes + rev_bytes) AS bytes
FROM {database}.{flows}
GROUP BY probe, minute, proto;

-- Interval summaries: the interval JSON's counters, one row per interval.
-- Its scalar keys keep their names; an object of counters becomes one
-- column per key, joined with '_' (flows.new is flows_new,
-- ended_by_reason.tcp_fin ended_by_reason_tcp_fin); lists (top flows,
-- protocols, ports...) and keys that come and go (malformed_by_reason)
-- are not stored.
CREATE TABLE IF NOT EXISTS {database}.{intervals} (
	probe String,
	export_batch UInt64,
	interval_start_ns UInt64,
	interval_ns UInt64,
	received UInt64,
	packets UInt64,
	bytes UInt64,
	ipv4_packets UInt64,
	ipv6_packets UInt64,
	filtered UInt64,
	nonflow UInt64,
	malformed UInt64,
	duplicate UInt64,
	sampled_out UInt64,
	duplicate_estimate UInt64,
	underlay_packets UInt64,
	underlay_bytes UInt64,
	dropped UInt64,
	records_lost UInt64,
	app_inspection_malformed UInt64,
	app_inspection_no_buffer UInt64,
	app_inspection_cut UInt64,
	flows_new UInt64,
	flows_ended UInt64,
	flows_active UInt64,
	ended_by_reason_idle UInt64,
	ended_by_reason_active UInt64,
	ended_by_reason_tcp_fin UInt64,
	ended_by_reason_tcp_rst UInt64,
	ended_by_reason_evicted UInt64,
	ended_by_reason_end_of_input UInt64,
	tunnels_other_contexts UInt64,
	tunnels_other_packets UInt64,
	tunnels_other_bytes UInt64,
	tunnels_other_overflow_packets UInt64,
	tcp_servers UInt64,
	tcp_subnets UInt64,
	tcp_packets UInt64,
	tcp_retrans_packets UInt64,
	tcp_server_overflow_packets UInt64,
	tcp_subnet_overflow_packets UInt64,
	tcp_handshakes UInt64,
	tcp_rtt_sum_ns UInt64,
	interval_start DateTime MATERIALIZED toDateTime(intDiv(interval_start_ns, 1000000000))
) ENGINE = MergeTree()
PARTITION BY toYYYYMMDD(interval_start)
ORDER BY (probe, interval_start);

-- Newer servers: rows older than 30 days are dropped as parts merge
-- (change the number, or remove the TTL, with the same ALTER by hand).
-- spanflow: requires 19.6
ALTER TABLE {database}.{flows} MODIFY TTL end_time + INTERVAL 30 DAY;
-- spanflow: requires 19.6
ALTER TABLE {database}.{flows}_minute MODIFY TTL minute + INTERVAL 400 DAY;
-- spanflow: requires 19.6
ALTER TABLE {database}.{intervals} MODIFY TTL interval_start + INTERVAL 400 DAY;
