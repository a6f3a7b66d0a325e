import Foundation
import KinetoEngine
import Testing

@Suite struct ParallelTests {
    /// A thread's own limit applies to that thread only, nests, and is gone when the body returns.
    @Test func aThreadLimitStaysOnItsThread() throws {
        let processWide = Parallel.maxThreads
        Parallel.withMaxThreads(1) {
            #expect(Parallel.maxThreads == 1)
            // Every iteration runs inline, on this thread.
            let caller = pthread_self()
            var onCaller = 0
            Parallel.forEach(8) { _ in if pthread_equal(pthread_self(), caller) != 0 { onCaller += 1 } }
            #expect(onCaller == 8)
            var ranges = 0
            Parallel.forRanges(1000) { _ in ranges += 1 }
            #expect(ranges == 1)
            Parallel.withMaxThreads(3) { #expect(Parallel.maxThreads == 3) }
            #expect(Parallel.maxThreads == 1)
            // Another thread still sees the process-wide value.
            final class Seen: @unchecked Sendable { var value = 0 }
            let seen = Seen()
            let done = DispatchSemaphore(value: 0)
            Thread {
                seen.value = Parallel.maxThreads
                done.signal()
            }.start()
            done.wait()
            #expect(seen.value == processWide)
        }
        #expect(Parallel.maxThreads == processWide)
    }
}
