// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Glibc
import Synchronization

/// Signals seen by `top`'s handlers; read by its loop. Atomics are async-signal-safe.
enum TerminalSignals {
    static let quit = Atomic<Int32>(0)
    static let resized = Atomic<Bool>(false)

    /// SIGINT/SIGTERM/SIGHUP ask the loop to quit (restoring the terminal); SIGWINCH asks for a redraw.
    static func install() {
        quit.store(0, ordering: .relaxed)
        // A parent may have left these blocked (the mask is inherited): unblock them.
        var wanted = sigset_t()
        sigemptyset(&wanted)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP, SIGWINCH] { sigaddset(&wanted, signalNumber) }
        pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber) { number in TerminalSignals.quit.store(number, ordering: .relaxed) }
        }
        signal(SIGWINCH) { _ in TerminalSignals.resized.store(true, ordering: .relaxed) }
    }

    static func uninstall() {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP, SIGWINCH] { signal(signalNumber, SIG_DFL) }
    }
}

/// Owns the terminal while `top` runs: raw input (no echo, no line buffering, Ctrl-C as a key),
/// the alternate screen and a hidden cursor. `restore()` puts everything back.
final class TerminalSession {
    private var original = termios()
    private var restored = false

    /// Fails unless both stdin and stdout are terminals.
    init() throws(CommandFailure) {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1, tcgetattr(STDIN_FILENO, &original) == 0 else {
            throw CommandFailure("top needs a terminal; use `holdfastctl status` in scripts", exitCode: 2)
        }
        var raw = original
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw)
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[H\u{1B}[2J")
    }

    deinit { restore() }

    /// Leaves the alternate screen, shows the cursor and restores the saved terminal modes.
    func restore() {
        guard !restored else { return }
        restored = true
        write("\u{1B}[?25h\u{1B}[?1049l")
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
    }

    /// Rows and columns (24x80 if unknown).
    func size() -> (rows: Int, columns: Int) {
        var window = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_col > 0, window.ws_row > 0 else {
            return (24, 80)
        }
        return (Int(window.ws_row), Int(window.ws_col))
    }

    /// Waits up to `milliseconds` for input; returns the bytes read (empty on timeout or signal),
    /// or nil once the terminal is gone (hang-up), so `top` does not outlive its terminal.
    func readKeys(waitingUpTo milliseconds: Int32) -> [UInt8]? {
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, max(0, milliseconds)) > 0 else { return [] }
        if descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(STDIN_FILENO, $0.baseAddress, $0.count) }
        if count == 0 || (count < 0 && errno != EINTR && errno != EAGAIN) { return nil }
        return count > 0 ? Array(buffer[..<count]) : []
    }

    /// Draws a whole frame: home, each line cleared to its end, the rest of the screen cleared.
    func draw(_ lines: [String]) {
        write("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\r\n") + "\u{1B}[J")
    }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            // offset < bytes.count, so the buffer is non-empty and has a base address.
            let written = bytes.withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
