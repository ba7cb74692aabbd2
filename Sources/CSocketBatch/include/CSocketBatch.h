// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#ifndef HOLDFAST_SOCKET_BATCH_H
#define HOLDFAST_SOCKET_BATCH_H
/* Batched datagram I/O and the stop signal for the UDP reader threads. recvmmsg, sendmmsg
   and pthread_timedjoin_np need _GNU_SOURCE, which Swift's Glibc module is not built with;
   socket_batch.c is. */
#include <pthread.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Layout-identical to the kernel's struct mmsghdr (checked in socket_batch.c). */
typedef struct holdfast_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} holdfast_mmsghdr;

/* recvmmsg with MSG_WAITFORONE: blocks until one datagram arrives, then takes what else is
   queued, up to count, without waiting. -1 with errno EINTR when the stop signal arrived. */
int holdfast_recvmmsg_wait(int fd, holdfast_mmsghdr *messages, unsigned int count);
int holdfast_sendmmsg(int fd, holdfast_mmsghdr *messages, unsigned int count);

/* Bytes of the next queued datagram (0 when none), or -1 with errno. */
int holdfast_pending_bytes(int fd);

/* Clears O_NONBLOCK (an adopted socket may come non-blocking). 0 or -1 with errno. */
int holdfast_set_blocking(int fd);

/* Installs, once per process, a handler that does nothing for the reader threads' stop
   signal (a real-time signal), without SA_RESTART, so it interrupts a blocked recvmmsg. */
int holdfast_install_stop_signal(void);
/* Unblocks the stop signal in the calling thread. */
int holdfast_accept_stop_signal(void);
/* Signals `thread` every 2 ms until it exits, then joins it (a signal that lands just before
   the thread blocks again is lost; the next one is not). 0 or an errno value. */
int holdfast_interrupt_and_join(pthread_t thread);

/* Names the calling thread (at most 15 characters), as ps and top show it. */
void holdfast_name_thread(const char *name);
#endif
