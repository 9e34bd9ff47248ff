/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small language helpers used everywhere: scope-bound cleanup, ownership
 * transfer, array and rounding arithmetic. Kept free of any dependency so
 * every layer can include it.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(fn) __attribute__((cleanup(fn)))
#define _unused_ __attribute__((unused))
#define _printf_(fmt, args) __attribute__((format(printf, fmt, args)))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define ROUND_UP(n, align) (DIV_ROUND_UP((n), (align)) * (align))
#define ROUND_DOWN(n, align) (((n) / (align)) * (align))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Hand a pointer or descriptor on: the variable forgets it, so its cleanup does nothing. */
#define TAKE_PTR(p)                      \
	({                               \
		typeof(p) _taken_ = (p); \
		(p) = NULL;              \
		_taken_;                 \
	})
#define TAKE_FD(fd)                 \
	({                          \
		int _taken_fd_ = (fd); \
		(fd) = -1;          \
		_taken_fd_;         \
	})

static inline void freep(void *p)
{
	int saved_errno = errno;

	free(*(void **)p);
	errno = saved_errno;
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	int saved_errno = errno;

	if (*fd >= 0)
		close(*fd);
	errno = saved_errno;
}
#define _cleanup_close_ _cleanup_(closep)

/*
 * DEFINE_CLEANUP_FUNC(struct foo, foo_free) defines foo_freep() for use as
 * _cleanup_(foo_freep). The destructor must accept NULL.
 */
#define DEFINE_CLEANUP_FUNC(type, fn)                 \
	static inline void fn##p(type **p)            \
	{                                             \
		int saved_errno = errno;              \
		if (*p)                               \
			fn(*p);                       \
		errno = saved_errno;                  \
	}

/* Overflow-checked arithmetic for sizes read from disk. */
#define ADD_OVERFLOWS(a, b, ret) __builtin_add_overflow((a), (b), (ret))
#define MUL_OVERFLOWS(a, b, ret) __builtin_mul_overflow((a), (b), (ret))

static inline bool streq(const char *a, const char *b)
{
	return a && b && __builtin_strcmp(a, b) == 0;
}
