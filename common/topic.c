/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MQTT topics of protocol v1, built and parsed with validated ids only. */
#include "topic.h"

#include <stdio.h>
#include <string.h>

static const char *const leaf_name[] = {
	[TOPIC_SAMPLE] = "sample", [TOPIC_STATE] = "state", [TOPIC_ACK] = "ack",
	[TOPIC_ALERT] = "alert", [TOPIC_SUMMARY] = "summary",
};

int
topic_build(char *buf, size_t len, const char *prefix, const char *province,
    const char *agent, enum topic_leaf leaf)
{
	int n;

	if (!id_valid(province))
		return -1;
	if (leaf == TOPIC_ALERT || leaf == TOPIC_SUMMARY) {
		n = snprintf(buf, len, "%s/%s/%s", prefix, province, leaf_name[leaf]);
	} else {
		if (!id_valid(agent))
			return -1;
		n = snprintf(buf, len, "%s/%s/%s/%s", prefix, province, agent, leaf_name[leaf]);
	}
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int
topic_parse(const char *topic, const char *prefix, char *province, char *agent,
    enum topic_leaf *leaf)
{
	size_t plen = strlen(prefix);

	if (strncmp(topic, prefix, plen) != 0 || topic[plen] != '/')
		return -1;
	const char *p = topic + plen + 1;
	const char *s1 = strchr(p, '/');
	if (s1 == NULL)
		return -1;
	const char *a = s1 + 1;
	const char *s2 = strchr(a, '/');
	if (s2 == NULL)
		return -1;
	const char *l = s2 + 1;
	if (!id_validn(p, (size_t)(s1 - p)) || !id_validn(a, (size_t)(s2 - a)))
		return -1;
	if (strcmp(l, "sample") == 0)
		*leaf = TOPIC_SAMPLE;
	else if (strcmp(l, "state") == 0)
		*leaf = TOPIC_STATE;
	else if (strcmp(l, "ack") == 0)
		*leaf = TOPIC_ACK;
	else
		return -1;
	memcpy(province, p, (size_t)(s1 - p));
	province[s1 - p] = '\0';
	memcpy(agent, a, (size_t)(s2 - a));
	agent[s2 - a] = '\0';
	return 0;
}
