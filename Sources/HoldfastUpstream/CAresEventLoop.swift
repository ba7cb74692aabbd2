// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import CAres
import Glibc
import Synchronization

/// The one thread that owns every c-ares channel (c-ares 1.18 is not thread-safe).
///
/// Other threads hand it work with `execute`, which queues a closure under a mutex and wakes
/// the loop through an eventfd. The loop waits in `epoll_wait` on the sockets c-ares reports
/// through `ARES_OPT_SOCK_STATE_CB` plus the eventfd, for exactly as long as the earliest of
/// `ares_timeout` and its own timer heap allows; then it calls `ares_process_fd` per ready
/// socket and `ares_process_fd(ch, BAD, BAD)` for channels past their deadline.
///
/// `@unchecked Sendable`: the only state touched from other threads is `submissions` (a Mutex),
/// `wakeFD` (written with `eventfd_write`, thread-safe) and `thread` (set once before any
/// `execute` and read in `shutdown`); everything else is read and written on the loop thread only.
final class CAresEventLoop: @unchecked Sendable {
    private struct Submissions {
        var work: [@Sendable () -> Void] = []
        var stopping = false
    }

    private let submissions = Mutex(Submissions())
    private let epollFD: Int32
    private let wakeFD: Int32
    private var thread: pthread_t?

    // Loop-thread state.
    private var timers = TimerHeap()
    private var completions: [() -> Void] = []
    private var socketOwners: [Int32: CAresChannel] = [:]
    /// Sockets of other transports (TLS connections), with what to call when they are ready.
    private var watchers: [Int32: (_ readable: Bool, _ writable: Bool) -> Void] = [:]
    private var channels: [ObjectIdentifier: CAresChannel] = [:]
    private var running = true

    private static let libraryInit: Int32 = ares_library_init(ARES_LIB_INIT_ALL)

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    init() throws {
        guard Self.libraryInit == ARES_SUCCESS else { throw SetupError(description: "ares_library_init failed") }
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw SetupError(description: "epoll_create1: errno \(errno)") }
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wakeFD >= 0 else {
            close(epollFD)
            throw SetupError(description: "eventfd: errno \(errno)")
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        _ = epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)

        let box = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            guard let arg else { return nil }
            let loop = Unmanaged<CAresEventLoop>.fromOpaque(arg).takeRetainedValue()
            holdfast_cares_name_thread("holdfast-upstrm")  // 15 characters at most
            loop.run()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<CAresEventLoop>.fromOpaque(box).release()
            close(wakeFD)
            close(epollFD)
            throw SetupError(description: "pthread_create: \(rc)")
        }
        thread = tid
    }

    deinit {
        close(wakeFD)
        close(epollFD)
    }

    /// Runs `work` on the loop thread soon. Returns false when the loop is stopping.
    ///
    /// Only the submission that finds the queue empty writes the eventfd: while it is not
    /// empty, a wake is pending (the loop takes the whole queue at once, after the wake that
    /// the first submission wrote), so a burst of misses costs one write and one wake, not one each.
    @discardableResult
    func execute(_ work: @escaping @Sendable () -> Void) -> Bool {
        let (accepted, wake) = submissions.withLock { state -> (Bool, Bool) in
            guard !state.stopping else { return (false, false) }
            state.work.append(work)
            return (true, state.work.count == 1)
        }
        if wake { eventfd_write(wakeFD, 1) }
        return accepted
    }

    /// True on the loop thread.
    var inLoopThread: Bool {
        guard let thread else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    /// Stops the loop after running `finalWork` on it (cancel and destroy channels there),
    /// then joins the thread. Call from any thread but the loop's own.
    func shutdown(finalWork: @escaping @Sendable () -> Void) {
        let first = submissions.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.work.append(finalWork)
            state.work.append { [unowned self] in self.running = false }
            state.stopping = true
            return true
        }
        guard first else { return }
        eventfd_write(wakeFD, 1)
        if let thread, !inLoopThread { pthread_join(thread, nil) }
    }

    // MARK: Loop-thread API

    /// Schedules `action` on the loop thread after `delay`.
    func schedule(after delay: Duration, _ action: @escaping () -> Void) -> TimerHeap.ID {
        timers.schedule(at: .now + delay, action)
    }

    func cancel(_ timer: TimerHeap.ID) { timers.cancel(timer) }

    /// Queues work to run after the current c-ares call returns (used by c-ares callbacks,
    /// which must not call back into c-ares).
    func enqueueCompletion(_ completion: @escaping () -> Void) { completions.append(completion) }

    func register(_ channel: CAresChannel) { channels[ObjectIdentifier(channel)] = channel }

    func unregister(_ channel: CAresChannel) { channels[ObjectIdentifier(channel)] = nil }

    /// Takes `channel` out of service: it gets no new queries and is destroyed (its socket
    /// closed) once its last query in flight finishes — at once if none is.
    func retire(_ channel: CAresChannel) {
        channel.isRetired = true
        if channel.pending == 0 { enqueueCompletion { channel.destroy() } }
    }

    /// Every live channel, current and retired.
    var registeredChannels: [CAresChannel] { Array(channels.values) }

    /// From the socket-state callback: add, modify or (on 0,0) drop a socket at once.
    func updateInterest(fd: Int32, readable: Bool, writable: Bool, channel: CAresChannel) {
        if !readable && !writable {
            if socketOwners.removeValue(forKey: fd) != nil {
                _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
            }
            return
        }
        var event = epoll_event()
        event.events = (readable ? EPOLLIN.rawValue : 0) | (writable ? EPOLLOUT.rawValue : 0)
        event.data.fd = fd
        let op = socketOwners[fd] == nil ? EPOLL_CTL_ADD : EPOLL_CTL_MOD
        socketOwners[fd] = channel
        if epoll_ctl(epollFD, op, fd, &event) != 0 && op == EPOLL_CTL_ADD && errno == EEXIST {
            _ = epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
        }
    }

    /// Waits for `fd` (not a c-ares socket) to become readable and/or writable, calling
    /// `handler` on the loop thread each time it is (errors and hang-ups count as readable).
    /// Calling it again for the same fd changes the interest and the handler.
    func watch(fd: Int32, readable: Bool, writable: Bool, handler: @escaping (_ readable: Bool, _ writable: Bool) -> Void) {
        var event = epoll_event()
        event.events = (readable ? EPOLLIN.rawValue : 0) | (writable ? EPOLLOUT.rawValue : 0)
        event.data.fd = fd
        let op = watchers[fd] == nil ? EPOLL_CTL_ADD : EPOLL_CTL_MOD
        watchers[fd] = handler
        _ = epoll_ctl(epollFD, op, fd, &event)
    }

    /// Stops watching `fd`; call before closing it.
    func unwatch(fd: Int32) {
        if watchers.removeValue(forKey: fd) != nil { _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil) }
    }

    // MARK: The loop

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while running {
            runPendingWork()
            guard running else { break }
            let timeout = waitMilliseconds()
            let ready = events.withUnsafeMutableBufferPointer { buffer in
                epoll_wait(epollFD, buffer.baseAddress, Int32(buffer.count), timeout)
            }
            if ready > 0 {
                for index in 0..<Int(ready) {
                    let fd = events[index].data.fd
                    if fd == wakeFD {
                        var value: eventfd_t = 0
                        _ = eventfd_read(wakeFD, &value)
                        continue
                    }
                    let flags = events[index].events
                    let readable = flags & (EPOLLIN.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
                    let writable = flags & EPOLLOUT.rawValue != 0
                    // c-ares sockets first (plain DNS, the common case), then other transports'.
                    // A socket closed while processing an earlier event is in neither map.
                    guard let channel = socketOwners[fd], let handle = channel.handle else {
                        if let watcher = watchers[fd] {
                            watcher(readable, writable)
                            drainCompletions()
                        }
                        continue
                    }
                    let readFD = readable ? fd : ARES_SOCKET_BAD
                    let writeFD = writable ? fd : ARES_SOCKET_BAD
                    ares_process_fd(handle, readFD, writeFD)
                    drainCompletions()
                }
            }
            processExpiredChannels()
            // Timers last: replies that arrived while the thread was busy or descheduled are
            // read first, so an RTO expiry never judges a server silent whose answer is waiting.
            fireDueTimers()
        }
        // Anything still queued after stopping runs now so no continuation is left hanging.
        runPendingWork()
    }

    private func fireDueTimers() {
        for action in timers.popDue(now: .now) {
            action()
            drainCompletions()
        }
    }

    private func runPendingWork() {
        var rounds = 0
        repeat {
            let work = submissions.withLock { state -> [@Sendable () -> Void] in
                let work = state.work
                state.work.removeAll(keepingCapacity: true)
                return work
            }
            for item in work {
                item()
                drainCompletions()
            }
            rounds += 1
        } while !completions.isEmpty && rounds < 100
        drainCompletions()
    }

    private func drainCompletions() {
        while !completions.isEmpty {
            let batch = completions
            completions.removeAll(keepingCapacity: true)
            for completion in batch { completion() }
        }
    }

    private func processExpiredChannels() {
        for channel in channels.values where channel.pending > 0 {
            guard let handle = channel.handle else { continue }
            var tv = timeval()
            if let next = ares_timeout(handle, nil, &tv), next.pointee.tv_sec <= 0 && next.pointee.tv_usec <= 0 {
                ares_process_fd(handle, ARES_SOCKET_BAD, ARES_SOCKET_BAD)
                drainCompletions()
            }
        }
    }

    /// The epoll wait: the earliest of every busy channel's `ares_timeout` and the next timer.
    private func waitMilliseconds() -> Int32 {
        if !completions.isEmpty { return 0 }
        var best: Int64 = -1
        func consider(_ ms: Int64) { best = best < 0 ? ms : min(best, ms) }
        for channel in channels.values where channel.pending > 0 {
            guard let handle = channel.handle else { continue }
            var tv = timeval()
            if let next = ares_timeout(handle, nil, &tv) {
                // Round up so we never wake just before the deadline and spin.
                consider(Int64(next.pointee.tv_sec) * 1000 + (Int64(next.pointee.tv_usec) + 999) / 1000)
            }
        }
        if let deadline = timers.nextDeadline() {
            let (seconds, attoseconds) = (deadline - .now).components
            let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
            consider(max(0, ms))
        }
        return best < 0 ? -1 : Int32(clamping: best)
    }
}
