// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Dispatch

/// The process entry point: runs `HoldfastdCommand` on a task and parks the main thread on a
/// semaphore until it finishes.
///
/// Not `@main` on the async command itself: an async `main` hands the main thread to
/// `dispatch_main()`, which calls `pthread_exit` on it, and glibc's `setuid`/`setgid` skip an
/// exiting thread — with `server.user` the main thread would stay root with every
/// capability. A thread blocked on a semaphore is switched along with the others.
@main
enum HoldfastdMain {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            await HoldfastdCommand.main()
            finished.signal()
        }
        finished.wait()
    }
}
