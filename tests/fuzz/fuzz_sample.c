/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the wire protocol v1 decoders, the first code that
 * meets network input. Beyond "no crash", it checks that what the decoder
 * accepts the encoder writes back, and that this text decodes the same.
 *
 * clang -fsanitize=fuzzer,address,undefined -I common tests/fuzz/fuzz_sample.c \
 *     common/sample.c common/id.c common/metric.c $(pkg-config --cflags --libs json-c)
 * ./a.out tests/fuzz/corpus/sample
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sample s, t;
	struct agent_state st, st2;
	char msg[256], out[SAMPLE_MAX_BYTES * 2];
	uint64_t seq, seq2;
	char sid[SID_LEN + 1], sid2[SID_LEN + 1];
	int n;

	/* A copy of exactly size bytes, so ASan sees any read past len. */
	char *buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);

	enum sample_err e = sample_decode(buf, size, &s, msg, sizeof(msg));
	if (e == SAMPLE_OK) {
		n = sample_encode(&s, out, sizeof(out));
		if (n < 0 || sample_decode(out, (size_t)n, &t, msg, sizeof(msg)) != SAMPLE_OK)
			abort();
		t.unknown_metrics = s.unknown_metrics;
		if (strcmp(s.agent, t.agent) != 0 || s.seq != t.seq ||
		    s.has_prev != t.has_prev || s.prev != t.prev || s.ts != t.ts ||
		    strcmp(s.sid, t.sid) != 0 ||
		    s.interval != t.interval || s.present != t.present)
			abort();
		for (int i = 0; i < METRIC_COUNT; i++)
			if (sample_has(&s, i) && s.m[i] != t.m[i])
				abort();
	} else if (strlen(msg) == 0 || strcmp(sample_err_reason(e), "unknown") == 0)
		abort();

	if (ack_decode(buf, size, &seq, sid) == 0) {
		n = ack_encode(seq, sid, out, sizeof(out));
		if (n < 0 || ack_decode(out, (size_t)n, &seq2, sid2) != 0 || seq != seq2 ||
		    strcmp(sid, sid2) != 0)
			abort();
	}

	if (state_decode(buf, size, &st) == 0) {
		n = state_encode(&st, out, sizeof(out));
		if (n < 0 || state_decode(out, (size_t)n, &st2) != 0 ||
		    st.online != st2.online || st.ts != st2.ts ||
		    st.boot_ts != st2.boot_ts || strcmp(st.version, st2.version) != 0 ||
		    strcmp(st.sid, st2.sid) != 0)
			abort();
	}
	free(buf);
	return 0;
}
