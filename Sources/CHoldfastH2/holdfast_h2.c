// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#include "holdfast_h2.h"
#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

typedef struct stream {
    uint32_t tag;
    int32_t id;
    uint8_t *request;
    size_t request_length;
    size_t request_sent;
    int status;
    int dns_message;
    uint32_t error_code;
    uint8_t *body;
    size_t body_length;
    size_t body_capacity;
    struct stream *next; /* completion queue, or the open list */
    struct stream *prev; /* open list only */
} stream;

struct holdfast_h2 {
    nghttp2_session *session;
    char *authority;
    char *path;
    uint8_t *out;
    size_t out_length;
    size_t out_capacity;
    stream *open; /* submitted, not closed yet */
    stream *done_head;
    stream *done_tail;
    int32_t goaway_last_stream;
};

#define MAX_BODY 65535

static void stream_free(stream *s) {
    if (!s) return;
    free(s->request);
    free(s->body);
    free(s);
}

static int append(uint8_t **buffer, size_t *length, size_t *capacity, const uint8_t *data, size_t count) {
    if (*length + count > *capacity) {
        size_t wanted = *capacity ? *capacity * 2 : 4096;
        while (wanted < *length + count) wanted *= 2;
        uint8_t *grown = realloc(*buffer, wanted);
        if (!grown) return -1;
        *buffer = grown;
        *capacity = wanted;
    }
    memcpy(*buffer + *length, data, count);
    *length += count;
    return 0;
}

static ssize_t on_send(nghttp2_session *session, const uint8_t *data, size_t length, int flags, void *user) {
    (void)session; (void)flags;
    holdfast_h2 *h2 = user;
    if (append(&h2->out, &h2->out_length, &h2->out_capacity, data, length) != 0) return NGHTTP2_ERR_CALLBACK_FAILURE;
    return (ssize_t)length;
}

static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
                         uint32_t *data_flags, nghttp2_data_source *source, void *user) {
    (void)session; (void)stream_id; (void)user;
    stream *s = source->ptr;
    size_t left = s->request_length - s->request_sent;
    size_t count = left < length ? left : length;
    memcpy(buf, s->request + s->request_sent, count);
    s->request_sent += count;
    if (s->request_sent == s->request_length) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)count;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user) {
    (void)flags; (void)user;
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    stream *s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (!s) return 0;
    if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
        int status = 0;
        for (size_t i = 0; i < valuelen && i < 3; i++) status = status * 10 + (value[i] - '0');
        s->status = status;
    } else if (namelen == 12 && memcmp(name, "content-type", 12) == 0) {
        /* "application/dns-message", optionally with parameters. */
        const char *want = "application/dns-message";
        size_t n = strlen(want);
        s->dns_message = valuelen >= n && strncasecmp((const char *)value, want, n) == 0
            && (valuelen == n || value[n] == ';' || value[n] == ' ');
    }
    return 0;
}

static int on_data(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data, size_t length,
                   void *user) {
    (void)flags; (void)user;
    stream *s = nghttp2_session_get_stream_user_data(session, stream_id);
    if (!s) return 0;
    if (s->body_length + length > MAX_BODY) {
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    if (append(&s->body, &s->body_length, &s->body_capacity, data, length) != 0) return NGHTTP2_ERR_CALLBACK_FAILURE;
    return 0;
}

static int on_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code, void *user) {
    holdfast_h2 *h2 = user;
    stream *s = nghttp2_session_get_stream_user_data(session, stream_id);
    if (!s) return 0;
    nghttp2_session_set_stream_user_data(session, stream_id, NULL);
    if (s->prev) s->prev->next = s->next; else h2->open = s->next;
    if (s->next) s->next->prev = s->prev;
    s->error_code = error_code;
    s->next = NULL;
    s->prev = NULL;
    if (h2->done_tail) h2->done_tail->next = s; else h2->done_head = s;
    h2->done_tail = s;
    return 0;
}

static int on_frame(nghttp2_session *session, const nghttp2_frame *frame, void *user) {
    (void)session;
    holdfast_h2 *h2 = user;
    if (frame->hd.type == NGHTTP2_GOAWAY) {
        int32_t last = frame->goaway.last_stream_id;
        if (h2->goaway_last_stream < 0 || last < h2->goaway_last_stream) h2->goaway_last_stream = last;
    }
    return 0;
}

holdfast_h2 *holdfast_h2_new(const char *authority, const char *path) {
    holdfast_h2 *h2 = calloc(1, sizeof *h2);
    if (!h2) return NULL;
    h2->goaway_last_stream = -1;
    h2->authority = strdup(authority);
    h2->path = strdup(path);
    nghttp2_session_callbacks *callbacks;
    if (!h2->authority || !h2->path || nghttp2_session_callbacks_new(&callbacks) != 0) {
        holdfast_h2_free(h2);
        return NULL;
    }
    nghttp2_session_callbacks_set_send_callback(callbacks, on_send);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame);
    int rc = nghttp2_session_client_new(&h2->session, callbacks, h2);
    nghttp2_session_callbacks_del(callbacks);
    if (rc != 0) {
        h2->session = NULL;
        holdfast_h2_free(h2);
        return NULL;
    }
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
    };
    nghttp2_submit_settings(h2->session, NGHTTP2_FLAG_NONE, settings, 2);
    return h2;
}

void holdfast_h2_free(holdfast_h2 *h2) {
    if (!h2) return;
    /* The session first: should it report closes, they only move streams to the done queue. */
    if (h2->session) nghttp2_session_del(h2->session);
    h2->session = NULL;
    while (h2->done_head) holdfast_h2_pop_completion(h2);
    while (h2->open) {
        stream *s = h2->open;
        h2->open = s->next;
        stream_free(s);
    }
    free(h2->authority);
    free(h2->path);
    free(h2->out);
    free(h2);
}

int32_t holdfast_h2_submit(holdfast_h2 *h2, const uint8_t *body, size_t length, uint32_t tag) {
    stream *s = calloc(1, sizeof *s);
    if (!s) return NGHTTP2_ERR_NOMEM;
    s->tag = tag;
    s->request = malloc(length ? length : 1);
    if (!s->request) {
        free(s);
        return NGHTTP2_ERR_NOMEM;
    }
    memcpy(s->request, body, length);
    s->request_length = length;
    char content_length[24];
    snprintf(content_length, sizeof content_length, "%zu", length);
#define HEADER(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NO_COPY_NAME}
    nghttp2_nv headers[] = {
        HEADER(":method", "POST"),
        HEADER(":scheme", "https"),
        HEADER(":authority", h2->authority),
        HEADER(":path", h2->path),
        HEADER("content-type", "application/dns-message"),
        HEADER("accept", "application/dns-message"),
        HEADER("content-length", content_length),
    };
#undef HEADER
    nghttp2_data_provider provider = {.source = {.ptr = s}, .read_callback = read_body};
    int32_t id = nghttp2_submit_request(h2->session, NULL, headers, sizeof headers / sizeof headers[0], &provider, s);
    if (id < 0) {
        stream_free(s);
        return id;
    }
    s->id = id;
    s->next = h2->open;
    if (h2->open) h2->open->prev = s;
    h2->open = s;
    return id;
}

int holdfast_h2_receive(holdfast_h2 *h2, const uint8_t *data, size_t length) {
    ssize_t rc = nghttp2_session_mem_recv(h2->session, data, length);
    return rc < 0 ? (int)rc : 0;
}

int holdfast_h2_flush(holdfast_h2 *h2) { return nghttp2_session_send(h2->session); }

const uint8_t *holdfast_h2_output(holdfast_h2 *h2, size_t *length) {
    *length = h2->out_length;
    return h2->out;
}

void holdfast_h2_consume_output(holdfast_h2 *h2, size_t length) {
    if (length >= h2->out_length) {
        h2->out_length = 0;
        return;
    }
    memmove(h2->out, h2->out + length, h2->out_length - length);
    h2->out_length -= length;
}

int holdfast_h2_peek_completion(holdfast_h2 *h2, holdfast_h2_completion *out) {
    stream *s = h2->done_head;
    if (!s) return 0;
    out->tag = s->tag;
    out->stream_id = s->id;
    out->status = s->status;
    out->dns_message = s->dns_message;
    out->error_code = s->error_code;
    out->body = s->body;
    out->body_length = s->body_length;
    return 1;
}

void holdfast_h2_pop_completion(holdfast_h2 *h2) {
    stream *s = h2->done_head;
    if (!s) return;
    h2->done_head = s->next;
    if (!h2->done_head) h2->done_tail = NULL;
    stream_free(s);
}

uint32_t holdfast_h2_max_concurrent_streams(holdfast_h2 *h2) {
    return nghttp2_session_get_remote_settings(h2->session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

int32_t holdfast_h2_goaway_last_stream(holdfast_h2 *h2) { return h2->goaway_last_stream; }

int holdfast_h2_alive(holdfast_h2 *h2) {
    return nghttp2_session_want_read(h2->session) || nghttp2_session_want_write(h2->session);
}
