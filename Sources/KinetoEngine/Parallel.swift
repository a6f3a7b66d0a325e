import Dispatch
import Foundation

/// The engine's only source of threads: `DispatchQueue.concurrentPerform` over the machine's cores.
///
/// Every operator splits its work here, GEMMs included: OpenBLAS is switched to one thread per call
/// (`BLASRuntime.configure`) and the engine runs independent GEMMs on column blocks in parallel, so OpenBLAS's own
/// spinning worker threads never compete with the engine's loops for the cores. No thread is created per operator.
public enum Parallel {
    /// Most threads one operator uses: the calling thread's own limit (`withMaxThreads`) where it set one, else
    /// the process-wide value (default: active processor count). Setting it sets the process-wide value.
    public static var maxThreads: Int {
        get {
            if let limit = pthread_getspecific(threadLimitKey) { return Int(bitPattern: limit) }
            return processMaxThreads
        }
        set { processMaxThreads = max(1, newValue) }
    }

    nonisolated(unsafe) private static var processMaxThreads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body` with every operator it calls on this thread limited to `threads` threads (1: all inline), as
    /// when several networks run at once, one frame each: other threads keep their own limit.
    public static func withMaxThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(threadLimitKey)
        pthread_setspecific(threadLimitKey, UnsafeRawPointer(bitPattern: max(1, threads)))
        defer { pthread_setspecific(threadLimitKey, previous) }
        return try body()
    }

    /// The per-thread limit, stored as the pointer's integer value (nil: none set).
    private static let threadLimitKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs `body(i)` for `i` in `0..<count`, in parallel when `count > 1` and `maxThreads > 1`.
    @inline(__always)
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 || maxThreads <= 1 {
            for i in 0..<count { body(i) }
        } else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }

    /// Splits `0..<total` into at most `maxThreads` contiguous ranges of at least `minimum` elements each
    /// (rounded to multiples of `granularity`) and runs `body` on each range in parallel.
    public static func forRanges(
        _ total: Int, minimum: Int = 1, granularity: Int = 1,
        _ body: (Range<Int>) -> Void
    ) {
        let parts = parts(total, minimum: minimum)
        if parts <= 1 {
            if total > 0 { body(0..<total) }
            return
        }
        var step = (total + parts - 1) / parts
        step = (step + granularity - 1) / granularity * granularity
        let count = (total + step - 1) / step
        forEach(count) { i in body(i * step..<min(total, (i + 1) * step)) }
    }

    /// How many parts a loop of `total` elements is worth splitting into.
    @inline(__always)
    static func parts(_ total: Int, minimum: Int) -> Int {
        max(1, min(maxThreads, total / max(1, minimum)))
    }
}
