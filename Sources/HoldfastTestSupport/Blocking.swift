import Foundation

/// Runs blocking work (socket I/O with timeouts) on its own thread so that test tasks never
/// block Swift's cooperative thread pool.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
