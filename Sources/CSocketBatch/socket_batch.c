// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#define _GNU_SOURCE
#include "CSocketBatch.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

_Static_assert(sizeof(holdfast_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(holdfast_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");

int holdfast_recvmmsg_wait(int fd, holdfast_mmsghdr *messages, unsigned int count) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, MSG_WAITFORONE, NULL);
}

int holdfast_sendmmsg(int fd, holdfast_mmsghdr *messages, unsigned int count) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, 0);
}

int holdfast_pending_bytes(int fd) {
    int bytes = 0;
    return ioctl(fd, FIONREAD, &bytes) == 0 ? bytes : -1;
}

int holdfast_set_blocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return (flags & O_NONBLOCK) ? fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) : 0;
}

static int stop_signal(void) { return SIGRTMIN + 4; }

static void on_stop_signal(int signo) { (void)signo; }

static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_result = 0;

static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART */
    install_result = sigaction(stop_signal(), &action, NULL) == 0 ? 0 : errno;
}

int holdfast_install_stop_signal(void) {
    pthread_once(&install_once, install);
    return install_result;
}

int holdfast_accept_stop_signal(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, stop_signal());
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int holdfast_interrupt_and_join(pthread_t thread) {
    for (;;) {
        int rc = pthread_kill(thread, stop_signal());
        if (rc != 0) return rc;
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_nsec += 2000000;
        if (deadline.tv_nsec >= 1000000000) {
            deadline.tv_sec += 1;
            deadline.tv_nsec -= 1000000000;
        }
        rc = pthread_timedjoin_np(thread, NULL, &deadline);
        if (rc != ETIMEDOUT) return rc;
    }
}

void holdfast_name_thread(const char *name) {
    (void)pthread_setname_np(pthread_self(), name);
}
