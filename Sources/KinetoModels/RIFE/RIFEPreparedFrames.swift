import Foundation
import KinetoEngine
import KinetoMedia

/// Frames made ready for RIFE (padded, with the head's features, and interleaved for the warps), kept while a pair
/// may still need them and shared by the instances of one job (`RIFEInterpolator.sibling`).
///
/// A video's consecutive pairs share a frame. With one instance, the second frame of one call is the first of the
/// next. With several taking turns at the pairs, the frame that pair (a, b) prepared is the first of (b, c), which
/// another instance may be working on already: it waits for the frame instead of preparing it a second time.
final class RIFEPreparedFrames: @unchecked Sendable {
    struct Frame {
        let image: RGBImage
        /// The padded frame with its features, interleaved and shrunk for block 0 (`RIFENetwork.prepare`).
        let prepared: RIFENetwork.PreparedFrame
    }

    private struct Entry {
        let image: RGBImage
        /// Nil while an instance prepares it.
        var frame: Frame?
    }

    private let condition = NSCondition()
    private var entries: [Entry] = []
    /// The pair each sharing instance works on (by `addUser` number).
    private var inUse: [Int: [RGBImage]] = [:]
    private var users = 0
    private var madeCount = 0

    /// Frames prepared so far by all the sharing instances.
    var made: Int {
        condition.lock()
        defer { condition.unlock() }
        return madeCount
    }

    /// A number for a new sharing instance.
    func addUser() -> Int {
        condition.lock()
        defer { condition.unlock() }
        users += 1
        return users - 1
    }

    /// Forgets `user`'s pair (an instance going away), so that its frames can be let go.
    func removeUser(_ user: Int) {
        condition.lock()
        inUse[user] = nil
        condition.unlock()
    }

    /// The two frames of `user`'s next pair, each prepared by `make` unless an instance has it already (or is
    /// preparing it: then this waits). Frames no instance's pair holds are let go first, except the newest (the
    /// first frame of the pair after the newest one).
    func pair(
        for user: Int, _ first: RGBImage, _ second: RGBImage, paddedHeight: Int, paddedWidth: Int,
        make: (RGBImage) -> Frame
    ) -> (Frame, Frame) {
        condition.lock()
        inUse[user] = [first, second]
        let newest = entries.last
        entries.removeAll { entry in
            !(inUse.values.contains { $0.contains(entry.image) }) && entry.frame != nil && entry.image != newest?.image
        }
        condition.unlock()
        let a = frame(first, paddedHeight: paddedHeight, paddedWidth: paddedWidth, make: make)
        let b = frame(second, paddedHeight: paddedHeight, paddedWidth: paddedWidth, make: make)
        return (a, b)
    }

    private func frame(_ image: RGBImage, paddedHeight: Int, paddedWidth: Int, make: (RGBImage) -> Frame) -> Frame {
        condition.lock()
        while let index = entries.firstIndex(where: { $0.image == image }) {
            guard let frame = entries[index].frame else {
                condition.wait()
                continue
            }
            if frame.prepared.paddedHeight == paddedHeight && frame.prepared.paddedWidth == paddedWidth {
                condition.unlock()
                return frame
            }
            entries.remove(at: index)
        }
        entries.append(Entry(image: image, frame: nil))
        condition.unlock()
        let frame = make(image)
        condition.lock()
        if let index = entries.firstIndex(where: { $0.image == image && $0.frame == nil }) {
            entries[index].frame = frame
        }
        madeCount += 1
        condition.broadcast()
        condition.unlock()
        return frame
    }
}
