import Foundation
import KinetoPipeline
import Testing

@Suite struct BoundedQueueTests {
    @Test func deliversInOrderWithBackPressure() {
        let queue = BoundedQueue<Int>(capacity: 3)
        let maxSeen = LockedBox(0)
        let producer = Thread {
            for i in 0..<1000 {
                queue.push(i)
                maxSeen.update { $0 = max($0, queue.currentCount) }
            }
            queue.close()
        }
        producer.start()
        var received: [Int] = []
        while let item = queue.pop() { received.append(item) }
        #expect(received == Array(0..<1000))
        #expect(maxSeen.value <= 3)
        #expect(queue.pop() == nil)
    }

    @Test func cancelWakesABlockedProducerAndConsumer() {
        let full = BoundedQueue<Int>(capacity: 1)
        full.push(1)
        let pushed = LockedBox<Bool?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let result = full.push(2)
            pushed.update { $0 = result }
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.05)
        #expect(pushed.value == nil)  // still blocked: the queue is full
        full.cancel()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(pushed.value == false)
        #expect(full.pop() == nil)

        let empty = BoundedQueue<Int>(capacity: 2)
        let popped = LockedBox<Int?>(-1)
        Thread {
            let result = empty.pop()
            popped.update { $0 = result }
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.05)
        empty.cancel()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(popped.value == nil)
    }

    @Test func closeDrainsRemainingItems() {
        let queue = BoundedQueue<String>(capacity: 4)
        queue.push("a")
        queue.push("b")
        queue.close()
        #expect(queue.push("c") == false)
        #expect(queue.pop() == "a")
        #expect(queue.pop() == "b")
        #expect(queue.pop() == nil)
    }
}

extension BoundedQueueTests {
    @Test func byteLimitHoldsFewerLargeItems() {
        // Items cost their value in bytes: 100-byte items under a 250-byte limit, two at a time although
        // the count would allow eight; 10-byte items fill the count.
        let queue = BoundedQueue<Int>(capacity: 8, byteLimit: 250, cost: { $0 })
        let most = LockedBox((items: 0, bytes: 0))
        let producer = Thread {
            for cost in Array(repeating: 100, count: 50) + Array(repeating: 10, count: 50) {
                queue.push(cost)
                most.update { $0 = (max($0.items, queue.currentCount), max($0.bytes, queue.currentBytes)) }
            }
            queue.close()
        }
        producer.start()
        var received = 0
        while queue.pop() != nil {
            received += 1
            Thread.sleep(forTimeInterval: 0.001)  // a slow consumer: the producer waits for room
        }
        #expect(received == 100)
        #expect(most.value.bytes <= 250)
        #expect(most.value.items == 8)
        #expect(queue.currentBytes == 0)
    }

    @Test func anItemOverTheByteLimitIsTakenAlone() {
        let queue = BoundedQueue<Int>(capacity: 4, byteLimit: 100, cost: { $0 })
        #expect(queue.push(1000))  // an empty queue takes it rather than stopping the job
        let pushed = LockedBox<Bool?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let result = queue.push(1)
            pushed.update { $0 = result }
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.05)
        #expect(pushed.value == nil)  // waits: 1000 bytes are held
        #expect(queue.pop() == 1000)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(pushed.value == true)
        #expect(queue.currentBytes == 1)
    }
}

@Suite struct CancellationTokenTests {
    @Test func handlersRunOnceAndLateHandlersRunImmediately() {
        let token = CancellationToken()
        let calls = LockedBox(0)
        token.onCancel { calls.update { $0 += 1 } }
        let removed = token.onCancel { calls.update { $0 += 100 } }
        token.removeHandler(removed)
        #expect(!token.isCancelled)
        token.cancel()
        token.cancel()
        #expect(token.isCancelled)
        #expect(calls.value == 1)
        #expect(token.onCancel { calls.update { $0 += 10 } } == nil)
        #expect(calls.value == 11)
    }
}

@Suite struct ProgressPrinterTests {
    @Test func progressLine() {
        let p = JobProgress(framesIn: 50, framesOut: 120, totalFrames: 600, elapsedSeconds: 4)
        #expect(ProgressPrinter.line(p) == "frame 120/600 (20%), 30.0 fps, ETA 0:16")
        #expect(
            ProgressPrinter.line(JobProgress(framesIn: 1, framesOut: 10, totalFrames: nil, elapsedSeconds: 2))
                == "frame 10, 5.0 fps")
        #expect(ProgressPrinter.duration(3723) == "1:02:03")
    }

    @Test func logLinesAreThrottledWhenNotOnATerminal() {
        let lines = LockedBox<[String]>([])
        let printer = ProgressPrinter(isTerminal: false, logInterval: 5) { text in lines.update { $0.append(text) } }
        for tenth in 0..<120 {
            printer.report(
                JobProgress(framesIn: 0, framesOut: Int64(tenth), totalFrames: nil, elapsedSeconds: Double(tenth) / 10))
        }
        printer.finish()
        #expect(lines.value.count == 3)  // at 0 s, 5 s and 10 s
        #expect(lines.value.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
    }

    @Test func terminalLineIsRedrawnInPlace() {
        let lines = LockedBox<[String]>([])
        let printer = ProgressPrinter(isTerminal: true) { text in lines.update { $0.append(text) } }
        printer.report(JobProgress(framesIn: 0, framesOut: 1, totalFrames: 2, elapsedSeconds: 1))
        printer.finish()
        #expect(lines.value.first?.hasPrefix("\r") == true)
        #expect(lines.value.last == "\n")
    }
}

/// A value shared between test threads.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
    func update(_ change: (inout Value) -> Void) {
        lock.lock()
        change(&stored)
        lock.unlock()
    }
}
