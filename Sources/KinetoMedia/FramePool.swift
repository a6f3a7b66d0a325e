import CFFmpeg
import Foundation

/// Recycles pixel buffers of frames Kineto allocates (conversions, blends), so a long job reuses a handful of
/// buffers instead of mapping and faulting in fresh memory for every frame.
///
/// One `AVBufferPool` per picture shape (size and pixel format); a buffer goes back to its pool when the last
/// frame referencing it is freed, on whatever thread that happens. Thread-safe.
final class FramePool: @unchecked Sendable {
    static let shared = FramePool()

    private struct Shape: Hashable { let width: Int32, height: Int32, format: Int32 }
    private final class Entry {
        let pool: OpaquePointer
        let linesizes: [Int32]
        var lastUse: UInt64
        init(pool: OpaquePointer, linesizes: [Int32], lastUse: UInt64) {
            self.pool = pool
            self.linesizes = linesizes
            self.lastUse = lastUse
        }
    }

    /// Shapes kept at once; a job uses two or three (decoded, converted, RGB), more only when sizes change.
    private let capacity = 8
    private var entries: [Shape: Entry] = [:]
    private var clock: UInt64 = 0
    private let lock = NSLock()

    /// Attaches a pooled buffer to `frame`, whose width, height and format are set.
    func attachBuffer(to frame: UnsafeMutablePointer<AVFrame>) -> Int32 {
        let shape = Shape(width: frame.pointee.width, height: frame.pointee.height, format: frame.pointee.format)
        lock.lock()
        defer { lock.unlock() }
        clock += 1
        let entry: Entry
        if let existing = entries[shape] {
            entry = existing
        } else {
            var linesizes = [Int32](repeating: 0, count: 4)
            let size = kineto_image_layout(shape.width, shape.height, AVPixelFormat(rawValue: shape.format), &linesizes)
            guard size > 0, let pool = av_buffer_pool_init(Int(size), av_buffer_alloc) else {
                return size < 0 ? size : kineto_averror(ENOMEM)
            }
            if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                // Uninit frees the pool once its outstanding buffers come back; frames holding them stay valid.
                var p: OpaquePointer? = oldest.value.pool
                av_buffer_pool_uninit(&p)
                entries[oldest.key] = nil
            }
            entry = Entry(pool: pool, linesizes: linesizes, lastUse: clock)
            entries[shape] = entry
        }
        entry.lastUse = clock
        return kineto_frame_attach_pooled(frame, entry.pool, entry.linesizes)
    }
}
