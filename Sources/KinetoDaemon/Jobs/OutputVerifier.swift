import KinetoMedia

/// Checks a finished file before it is given its final name: it opens as media, has a video stream
/// of the expected size, a positive duration, and (when the container states it) the number of frames
/// the pipeline wrote. A file that fails is never shown as a result.
public enum OutputVerifier {
    /// What the probe found.
    public struct Summary: Sendable, Equatable {
        public var duration: Double
        public var frameCount: Int?
        public var width: Int
        public var height: Int
    }

    /// Probes `path`; throws a `DaemonError` naming what is wrong.
    @discardableResult
    public static func verify(_ path: String, expectedFrames: Int64?) throws -> Summary {
        let reader: MediaReader
        do {
            reader = try MediaReader(path, options: ReaderOptions(passthrough: false))
        } catch {
            throw DaemonError("the finished file does not open as a video: \(error)")
        }
        let info = reader.info
        guard info.video.width > 0, info.video.height > 0 else {
            throw DaemonError("the finished file's video stream has no picture size")
        }
        guard let duration = info.video.duration ?? info.duration, duration > 0 else {
            throw DaemonError("the finished file states no duration")
        }
        if let expectedFrames, let stated = info.video.frameCount, stated > 0, Int64(stated) != expectedFrames {
            throw DaemonError("the finished file holds \(stated) frames, but \(expectedFrames) were written")
        }
        return Summary(
            duration: duration, frameCount: info.video.frameCount, width: info.video.width, height: info.video.height)
    }
}
