// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#ifndef HOLDFAST_NGHTTP2_SHIM_H
#define HOLDFAST_NGHTTP2_SHIM_H
/* Debian's libnghttp2, for DNS over HTTPS (HTTP/2). Used by CHoldfastH2 only. */
#include <nghttp2/nghttp2.h>
#endif
