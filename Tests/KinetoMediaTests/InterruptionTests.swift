import Dispatch
import Foundation
import KinetoMedia
import KinetoTestSupport
import Testing

/// A reader waiting on a silent network stream can be stopped from another thread.
@Suite struct InterruptionTests {
    @Test func silentUDPStreamStopsOpeningPromptly() throws {
        let interruption = ReadInterruption()
        let port = 40000 + Int(getpid() % 20000)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { interruption.interrupt() }
        let start = Date()
        var caught: MediaError?
        do {
            _ = try MediaReader(
                "udp://127.0.0.1:\(port)", options: ReaderOptions(networkTimeout: 30, interruption: interruption))
        } catch let error as MediaError {
            caught = error
        }
        let waited = Date().timeIntervalSince(start)
        #expect(caught?.kind == .network, "\(String(describing: caught))")
        #expect(caught?.description.contains("interrupted") == true)
        // Nobody sends anything: without the interruption this would wait the full 30 s.
        #expect(waited < 5, "waited \(waited) s")
    }

    @Test func interruptedReaderEndsWithoutError() throws {
        let fx = try Scratch("kineto-media")
        let reader = try MediaReader(try fx.clip("in.mp4", rate: "25", shortest: true, seconds: 1))
        #expect(try reader.nextVideoFrame() != nil)
        #expect(!reader.wasInterrupted)
        reader.interrupt()
        #expect(try reader.next() == nil)
        #expect(reader.wasInterrupted)
        #expect(reader.framesDecoded == 1)
    }
}
