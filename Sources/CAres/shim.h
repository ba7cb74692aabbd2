// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#ifndef HOLDFAST_CARES_SHIM_H
#define HOLDFAST_CARES_SHIM_H
#include <ares.h>
#include <arpa/nameser.h>
/* The c-ares loop waits with epoll and is woken through an eventfd (Linux). */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
/* getrandom(2): query IDs and 0x20 bits, read in blocks (KernelRandom.swift). */
#include <sys/random.h>

/* Names the calling thread (what top -H, /proc/PID/task/TID/comm and perf show). */
static inline void holdfast_cares_name_thread(const char *name) {
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}
#endif
