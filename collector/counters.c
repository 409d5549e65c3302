/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The collector's counters and their Prometheus exposition. */
#include "counters.h"

struct counters counters;

static const char *const extra_reason[REJ_EXTRA_COUNT] = {
	[REJ_BAD_TOPIC] = "bad_topic",
	[REJ_AGENT_MISMATCH] = "agent_mismatch",
	[REJ_PROVINCE_MISMATCH] = "province_mismatch",
	[REJ_CLOCK_SKEW] = "clock_skew",
	[REJ_STALE] = "stale",
	[REJ_STORE] = "store_error",
	[REJ_UNKNOWN_AGENT_LIMIT] = "unknown_agent_limit",
	[REJ_GAP_PASSED] = "gap_passed",
};

const char *
reject_extra_reason(enum reject_extra r)
{
	return extra_reason[r];
}

unsigned long
counters_rejected_total(void)
{
	unsigned long n = 0;

	for (int i = 1; i < SAMPLE_E__COUNT; i++)
		n += atomic_load(&counters.rejected_payload[i]);
	for (int i = 0; i < REJ_EXTRA_COUNT; i++)
		n += atomic_load(&counters.rejected_extra[i]);
	return n;
}

#define C(name) atomic_load(&counters.name)

void
counters_write(FILE *out)
{
	fprintf(out, "# HELP covmon_samples_received_total Samples received on sample topics.\n"
	    "# TYPE covmon_samples_received_total counter\n"
	    "covmon_samples_received_total %lu\n", C(received));
	fprintf(out, "# HELP covmon_samples_stored_total Samples stored in RRD and acknowledged.\n"
	    "# TYPE covmon_samples_stored_total counter\n"
	    "covmon_samples_stored_total %lu\n", C(stored));
	fprintf(out, "# HELP covmon_samples_duplicate_total Samples already stored (acknowledged again).\n"
	    "# TYPE covmon_samples_duplicate_total counter\n"
	    "covmon_samples_duplicate_total %lu\n", C(duplicates));
	fprintf(out, "# HELP covmon_samples_rejected_total Samples refused, by reason (acknowledged, never retried).\n"
	    "# TYPE covmon_samples_rejected_total counter\n");
	for (int i = 1; i < SAMPLE_E__COUNT; i++)
		fprintf(out, "covmon_samples_rejected_total{reason=\"%s\"} %lu\n",
		    sample_err_reason((enum sample_err)i), C(rejected_payload[i]));
	for (int i = 0; i < REJ_EXTRA_COUNT; i++)
		fprintf(out, "covmon_samples_rejected_total{reason=\"%s\"} %lu\n",
		    extra_reason[i], C(rejected_extra[i]));
	fprintf(out, "# HELP covmon_samples_held_back_total Samples that waited for a gap in their agent's seqs to fill, or for their agent's RRD files to be created.\n"
	    "# TYPE covmon_samples_held_back_total counter\n"
	    "covmon_samples_held_back_total %lu\n", C(held_back));
	fprintf(out, "# HELP covmon_samples_held Samples waiting now for a gap to fill or for their files (at most 64 per agent's spool: past it the agent resends).\n"
	    "# TYPE covmon_samples_held gauge\n"
	    "covmon_samples_held %ld\n", C(held));
	fprintf(out, "# HELP covmon_samples_held_dropped_total Samples let go from the hold (full, or their spool forgotten); not acked, the agent resends them.\n"
	    "# TYPE covmon_samples_held_dropped_total counter\n"
	    "covmon_samples_held_dropped_total %lu\n", C(held_dropped));
	fprintf(out, "# HELP covmon_samples_not_stored_total Samples not stored for a transient error (RRD, rrdcached, state DB); not acked, the agent resends them.\n"
	    "# TYPE covmon_samples_not_stored_total counter\n"
	    "covmon_samples_not_stored_total %lu\n", C(not_stored));
	fprintf(out, "# HELP covmon_seq_gaps_skipped_total Gaps in an agent's seqs that did not fill within gap_timeout: reported and passed, the held samples stored.\n"
	    "# TYPE covmon_seq_gaps_skipped_total counter\n"
	    "covmon_seq_gaps_skipped_total %lu\n", C(gaps_skipped));
	fprintf(out, "# HELP covmon_seq_resets_total Older agents (no spool id) whose seqs started over.\n"
	    "# TYPE covmon_seq_resets_total counter\n"
	    "covmon_seq_resets_total %lu\n", C(seq_resets));
	fprintf(out, "# HELP covmon_agent_new_spool_total Agents seen with a new spool id (reinstalled or replaced): their seqs count from 1 again.\n"
	    "# TYPE covmon_agent_new_spool_total counter\n"
	    "covmon_agent_new_spool_total %lu\n", C(new_spools));
	fprintf(out, "# HELP covmon_unknown_agents Agents that report but are not in the inventory.\n"
	    "# TYPE covmon_unknown_agents gauge\n"
	    "covmon_unknown_agents %ld\n", C(unknown_agents));
	fprintf(out, "# HELP covmon_unknown_metrics_total Metrics in samples that this collector does not know (dropped from the sample, the rest stored).\n"
	    "# TYPE covmon_unknown_metrics_total counter\n"
	    "covmon_unknown_metrics_total %lu\n", C(unknown_metrics));
	fprintf(out, "# HELP covmon_queue_full_total Samples not queued because the write queue was full (the agent resends).\n"
	    "# TYPE covmon_queue_full_total counter\n"
	    "covmon_queue_full_total %lu\n", C(queue_full));
	fprintf(out, "# HELP covmon_queue_depth Samples queued for the writer now.\n"
	    "# TYPE covmon_queue_depth gauge\ncovmon_queue_depth %ld\n", C(queue_depth));
	fprintf(out, "# HELP covmon_rrd_errors_total RRD creates and updates that failed (the samples are not acked: their agents resend).\n"
	    "# TYPE covmon_rrd_errors_total counter\ncovmon_rrd_errors_total %lu\n",
	    C(rrd_errors));
	fprintf(out, "# HELP covmon_agents_awaiting_files Agents whose RRD files are being created "
	    "(on the creator thread); their samples wait in their held queue "
	    "(covmon_samples_held), bounded, and are stored in order once the files exist.\n"
	    "# TYPE covmon_agents_awaiting_files gauge\ncovmon_agents_awaiting_files %ld\n",
	    atomic_load(&counters.agents_awaiting_files));
	fprintf(out, "# HELP covmon_rrd_files_created_total RRD files created for new agents.\n"
	    "# TYPE covmon_rrd_files_created_total counter\ncovmon_rrd_files_created_total %lu\n",
	    C(rrd_creates));
	fprintf(out, "# HELP covmon_rrd_create_seconds An agent's file creation, from the request "
	    "to its files made.\n# TYPE covmon_rrd_create_seconds summary\n"
	    "covmon_rrd_create_seconds_sum %.6f\ncovmon_rrd_create_seconds_count %lu\n",
	    (double)C(create_usec) / 1e6, C(create_count));
	fprintf(out, "# HELP covmon_rrd_replay_pending 1 while rrdcached failed (down, hung, "
	    "restarted) and the write-ahead log waits to be written again: nothing is stored "
	    "meanwhile (the agents resend).\n# TYPE covmon_rrd_replay_pending gauge\n"
	    "covmon_rrd_replay_pending %ld\n", atomic_load(&counters.rrd_replay_pending));
	fprintf(out, "# HELP covmon_rrd_replays_total Write-ahead log replays into rrdcached that "
	    "passed.\n# TYPE covmon_rrd_replays_total counter\n"
	    "covmon_rrd_replays_total %lu\n", C(rrd_replays));
	fprintf(out, "# HELP covmon_rrd_restored_total RRD headers put back after an update "
	    "cut short by a crash.\n# TYPE covmon_rrd_restored_total counter\n"
	    "covmon_rrd_restored_total %lu\n", C(rrd_restored));
	fprintf(out, "# HELP covmon_http_connections HTTP connections open now.\n"
	    "# TYPE covmon_http_connections gauge\ncovmon_http_connections %ld\n",
	    atomic_load(&counters.http_connections));
	fprintf(out, "# HELP covmon_http_request_timeouts_total HTTP requests not received whole "
	    "within [http] request_timeout: the connection was closed.\n"
	    "# TYPE covmon_http_request_timeouts_total counter\n"
	    "covmon_http_request_timeouts_total %lu\n", C(http_request_timeouts));
	fprintf(out, "# HELP covmon_http_too_many_args_total HTTP requests refused (400) for too "
	    "many query arguments.\n# TYPE covmon_http_too_many_args_total counter\n"
	    "covmon_http_too_many_args_total %lu\n", C(http_too_many_args));
	fprintf(out, "# HELP covmon_rrd_heartbeat_raised_total RRD files whose heartbeat was raised "
	    "for an agent's longer interval.\n# TYPE covmon_rrd_heartbeat_raised_total counter\n"
	    "covmon_rrd_heartbeat_raised_total %lu\n", C(rrd_tunes));
	fprintf(out, "# HELP covmon_rrd_update_seconds Time spent in RRD updates.\n"
	    "# TYPE covmon_rrd_update_seconds summary\n"
	    "covmon_rrd_update_seconds_sum %.6f\ncovmon_rrd_update_seconds_count %lu\n",
	    (double)C(rrd_update_usec) / 1e6, C(rrd_updates));
	fprintf(out, "# HELP covmon_ingest_lag_seconds Sample timestamp to stored, fresh samples.\n"
	    "# TYPE covmon_ingest_lag_seconds summary\n"
	    "covmon_ingest_lag_seconds_sum %.6f\ncovmon_ingest_lag_seconds_count %lu\n",
	    (double)C(lag_usec_sum) / 1e6, C(lag_count));
	fprintf(out, "# HELP covmon_evaluation_seconds Duration of the last coverage evaluation.\n"
	    "# TYPE covmon_evaluation_seconds gauge\ncovmon_evaluation_seconds %.6f\n",
	    (double)C(eval_usec) / 1e6);
	fprintf(out, "# HELP covmon_evaluations_total Coverage evaluations run.\n"
	    "# TYPE covmon_evaluations_total counter\ncovmon_evaluations_total %lu\n",
	    C(evaluations));
	fprintf(out, "# HELP covmon_unknown_agent_samples_total Samples stored from agents not in the inventory.\n"
	    "# TYPE covmon_unknown_agent_samples_total counter\n"
	    "covmon_unknown_agent_samples_total %lu\n", C(unknown_agent_samples));
	fprintf(out, "# HELP covmon_acks_sent_total Acknowledgements published to agents.\n"
	    "# TYPE covmon_acks_sent_total counter\ncovmon_acks_sent_total %lu\n",
	    C(acks_sent));
	fprintf(out, "# HELP covmon_acks_deferred_total Repeated acknowledgements not sent because "
	    "the previous one to that agent's spool was still queued for the broker.\n"
	    "# TYPE covmon_acks_deferred_total counter\ncovmon_acks_deferred_total %lu\n",
	    C(acks_deferred));
	fprintf(out, "# HELP covmon_mqtt_connects_total Connections made to the MQTT broker.\n"
	    "# TYPE covmon_mqtt_connects_total counter\ncovmon_mqtt_connects_total %lu\n",
	    C(mqtt_connects));
	fprintf(out, "# HELP covmon_mqtt_loop_restarts_total Times libmosquitto's network thread "
	    "gave up after an error and was started again.\n"
	    "# TYPE covmon_mqtt_loop_restarts_total counter\ncovmon_mqtt_loop_restarts_total %lu\n",
	    C(mqtt_loop_restarts));
	fprintf(out, "# HELP covmon_state_messages_total Agent state messages (online, offline, Last Will) received.\n"
	    "# TYPE covmon_state_messages_total counter\ncovmon_state_messages_total %lu\n",
	    C(state_messages));
}
