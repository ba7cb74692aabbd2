#ifndef HOLDFAST_CARES_SHIM_H
#define HOLDFAST_CARES_SHIM_H
#include <ares.h>
#include <arpa/nameser.h>
/* The c-ares loop waits with epoll and is woken through an eventfd (Linux). */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
