#ifndef HOLDFAST_CARES_SHIM_H
#define HOLDFAST_CARES_SHIM_H
#include <ares.h>
#include <arpa/nameser.h>
#endif
