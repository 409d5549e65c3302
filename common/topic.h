/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MQTT topics of protocol v1: <prefix>/<province_id>/<agent_id>/<leaf> for
 * an agent's sample, state and ack; <prefix>/<province_id>/<leaf> for the
 * province's alert and summary. Ids are validated both ways.
 */
#ifndef COVMON_TOPIC_H
#define COVMON_TOPIC_H

#include "id.h"

#include <stddef.h>

#define TOPIC_MAX 256

enum topic_leaf { TOPIC_SAMPLE, TOPIC_STATE, TOPIC_ACK, TOPIC_ALERT, TOPIC_SUMMARY };

/* Builds a topic; agent is NULL for alert and summary. Returns 0, or -1
 * when an id is invalid or the topic does not fit. */
int topic_build(char *buf, size_t len, const char *prefix, const char *province,
    const char *agent, enum topic_leaf leaf);

/* Parses an agent topic (sample, state or ack) under prefix. Returns 0, or
 * -1 when it is not one or an id fails validation. province and agent must
 * hold ID_MAX + 1 bytes. */
int topic_parse(const char *topic, const char *prefix, char *province, char *agent,
    enum topic_leaf *leaf);

#endif
