// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for lagwlcd's configuration parser
 * (userspace/lagwlcd/config.c): any bytes must either parse or be refused with one
 * printable line "fuzz.conf:LINE: PROBLEM" (or "fuzz.conf: PROBLEM"), never
 * crash, leak or read out of bounds (ASan). A parsed configuration must be
 * consistent: durations within their ranges, every replica with a port to
 * probe (its own port may be 0: a fwmark service's real server, probed at
 * probe = ADDR:PORT).
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONFIG_ERR_MAX];
	struct config cfg;
	size_t i;

	if (config_parse("fuzz.conf", (const char *)data, size, &cfg, err, sizeof(err)) < 0) {
		if (strncmp(err, "fuzz.conf:", 10))
			abort();
		for (i = 0; err[i]; i++)
			if (!isprint((unsigned char)err[i]))
				abort();
		if (cfg.replicas || cfg.adopts)
			abort();
	} else {
		if (cfg.poll_ms < POLL_MIN_MS || cfg.poll_ms > POLL_MAX_MS)
			abort();
		if (!cfg.discover && !cfg.nreplicas)
			abort();
		for (i = 0; i < cfg.nreplicas; i++) {
			const struct replica_conf *r = &cfg.replicas[i];

			if (!r->probe.port ||
			    r->s.timeout_ms < TIMEOUT_MIN_MS || r->s.timeout_ms > TIMEOUT_MAX_MS)
				abort();
		}
	}
	config_free(&cfg);
	return 0;
}
