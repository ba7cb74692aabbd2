#define _GNU_SOURCE
#include "CSocketBatch.h"
#include <pthread.h>
#include <stddef.h>

_Static_assert(sizeof(holdfast_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(holdfast_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");

int holdfast_recvmmsg(int fd, holdfast_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int holdfast_sendmmsg(int fd, holdfast_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

void holdfast_name_thread(const char *name) {
    (void)pthread_setname_np(pthread_self(), name);
}
