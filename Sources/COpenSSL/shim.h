// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#ifndef HOLDFAST_OPENSSL_SHIM_H
#define HOLDFAST_OPENSSL_SHIM_H
/* The system OpenSSL (Debian's libssl3), for DNS over TLS. Macros and stack walks that Swift
 * cannot call directly are wrapped here; everything else is called from Swift as is. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/sha.h>
#include <string.h>

/* A client context: TLS 1.2 or later, the client session cache on with no internal store:
 * the newest session the server gave any connection of this context is kept in the context's
 * app data (one context per upstream server) and offered on the next connection. */
static int holdfast_tls_new_session(SSL *ssl, SSL_SESSION *session) {
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
    SSL_SESSION *old = (SSL_SESSION *)SSL_CTX_get_app_data(ctx);
    SSL_CTX_set_app_data(ctx, session);
    if (old) SSL_SESSION_free(old);
    return 1; /* we keep the reference */
}

static inline SSL_CTX *holdfast_tls_client_context(void) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, holdfast_tls_new_session);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Read whole socket buffers, not a 5-byte record header and then its body: one read(2)
     * per answer instead of two or three. */
    SSL_CTX_set_read_ahead(ctx, 1);
    return ctx;
}

static inline void holdfast_tls_context_free(SSL_CTX *ctx) {
    SSL_SESSION *session = (SSL_SESSION *)SSL_CTX_get_app_data(ctx);
    if (session) SSL_SESSION_free(session);
    SSL_CTX_free(ctx);
}

/* Offers the context's last session (resumption). Returns 1 when one was offered. */
static inline int holdfast_tls_offer_session(SSL *ssl) {
    SSL_SESSION *session = (SSL_SESSION *)SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    return session && SSL_SESSION_is_resumable(session) ? SSL_set_session(ssl, session) : 0;
}

static inline int holdfast_tls_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/* Checks `name` against the certificate during verification (SAN dNSName or IP). */
static inline int holdfast_tls_verify_name(SSL *ssl, const char *name) {
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, name) == 1) return 1;
    return X509_VERIFY_PARAM_set1_host(param, name, 0);
}

/* SHA-256 of a certificate's SubjectPublicKeyInfo (an RFC 7858 pin). */
static inline int holdfast_tls_spki_sha256(X509 *cert, unsigned char out[32]) {
    unsigned char *der = NULL;
    int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (length <= 0) return 0;
    SHA256(der, (size_t)length, out);
    OPENSSL_free(der);
    return 1;
}

/* 1 when the SPKI of some certificate in the chain matches one of `count` 32-byte pins. The
 * chain is the verified one when verification ran, else the one the server presented. */
static inline int holdfast_tls_chain_matches_pins(SSL *ssl, const unsigned char *pins, int count) {
    STACK_OF(X509) *chain = SSL_get0_verified_chain(ssl);
    if (!chain || sk_X509_num(chain) == 0) chain = SSL_get_peer_cert_chain(ssl);
    if (!chain) return 0;
    for (int i = 0; i < sk_X509_num(chain); i++) {
        unsigned char digest[32];
        if (!holdfast_tls_spki_sha256(sk_X509_value(chain, i), digest)) continue;
        for (int p = 0; p < count; p++) {
            if (memcmp(digest, pins + 32 * p, 32) == 0) return 1;
        }
    }
    return 0;
}

/* The oldest queued OpenSSL error as text ("" when none), clearing the queue. */
static inline void holdfast_tls_error_text(char *buffer, size_t size) {
    unsigned long code = ERR_get_error();
    if (size > 0) buffer[0] = 0;
    if (code) ERR_error_string_n(code, buffer, size);
    ERR_clear_error();
}
#endif
