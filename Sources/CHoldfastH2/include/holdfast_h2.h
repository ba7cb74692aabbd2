// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#ifndef HOLDFAST_H2_H
#define HOLDFAST_H2_H
/* A minimal HTTP/2 client session for DNS over HTTPS (RFC 8484) on top of libnghttp2: POST
 * requests with an application/dns-message body, one stream per query, responses collected
 * whole. It moves bytes only: the caller reads and writes the TLS connection. Not thread-safe. */
#include <stddef.h>
#include <stdint.h>

typedef struct holdfast_h2 holdfast_h2;

/* A new client session; nghttp2 queues the connection preface and SETTINGS. NULL on failure. */
holdfast_h2 *holdfast_h2_new(const char *authority, const char *path);
void holdfast_h2_free(holdfast_h2 *session);

/* Starts one POST carrying `body` (copied), tagged `tag`. Returns the stream ID (> 0), or a
 * negative nghttp2 error code (e.g. no stream IDs left). */
int32_t holdfast_h2_submit(holdfast_h2 *session, const uint8_t *body, size_t length, uint32_t tag);

/* Feeds bytes read from the connection. 0, or a negative nghttp2 error (connection unusable). */
int holdfast_h2_receive(holdfast_h2 *session, const uint8_t *data, size_t length);

/* Serialises whatever nghttp2 wants to send into the output buffer. 0 or a negative error. */
int holdfast_h2_flush(holdfast_h2 *session);
/* The output buffer (bytes to write to the connection) and taking bytes from its front. */
const uint8_t *holdfast_h2_output(holdfast_h2 *session, size_t *length);
void holdfast_h2_consume_output(holdfast_h2 *session, size_t length);

/* One finished stream. `status` is the :status (0 if none came), `dns_message` 1 when the
 * content-type was application/dns-message, `error_code` the RST_STREAM/GOAWAY code (0 = a
 * normal close). The body stays valid until holdfast_h2_pop_completion. */
typedef struct {
    uint32_t tag;
    int32_t stream_id;
    int status;
    int dns_message;
    uint32_t error_code;
    const uint8_t *body;
    size_t body_length;
} holdfast_h2_completion;

/* The oldest finished stream, or 0 when none is waiting. */
int holdfast_h2_peek_completion(holdfast_h2 *session, holdfast_h2_completion *out);
void holdfast_h2_pop_completion(holdfast_h2 *session);

/* The server's SETTINGS_MAX_CONCURRENT_STREAMS (nghttp2's default until it sent one). */
uint32_t holdfast_h2_max_concurrent_streams(holdfast_h2 *session);
/* The last stream ID of a GOAWAY the server sent, or -1 when none came. Streams above it were
 * not processed and may be sent again elsewhere. */
int32_t holdfast_h2_goaway_last_stream(holdfast_h2 *session);
/* 1 while nghttp2 still wants to read or write (0: the session is over). */
int holdfast_h2_alive(holdfast_h2 *session);
#endif
