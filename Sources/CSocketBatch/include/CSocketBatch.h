#ifndef HOLDFAST_SOCKET_BATCH_H
#define HOLDFAST_SOCKET_BATCH_H
/* recvmmsg/sendmmsg need _GNU_SOURCE, which Swift's Glibc module is not built with: these
   wrappers (compiled with it, in socket_batch.c) give the UDP listener batched socket I/O. */
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Layout-identical to the kernel's struct mmsghdr. */
typedef struct holdfast_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} holdfast_mmsghdr;

int holdfast_recvmmsg(int fd, holdfast_mmsghdr *messages, unsigned int count, int flags);
int holdfast_sendmmsg(int fd, holdfast_mmsghdr *messages, unsigned int count, int flags);
/* Names the calling thread (at most 15 characters), as ps and top show it. */
void holdfast_name_thread(const char *name);
#endif
