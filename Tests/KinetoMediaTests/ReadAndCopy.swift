import Foundation
import KinetoMedia

/// Reads every frame and packet of `path`, returning frame times and audio packet count.
func readAll(_ path: String) throws -> (frames: [Rational], audioPackets: Int, audioEnd: Double?, reader: MediaReader) {
    let reader = try MediaReader(path)
    var times: [Rational] = []
    var audio = 0
    var audioEnd: Double?
    while let event = try reader.next() {
        switch event {
        case .video(let frame): times.append(frame.time)
        case .packet(let packet):
            audio += 1
            if let t = packet.time {
                let duration = packet.timeBase.seconds(of: packet.avPacket.pointee.duration).doubleValue
                audioEnd = max(audioEnd ?? 0, t.doubleValue + duration)
            }
        }
    }
    return (times, audio, audioEnd, reader)
}

/// Copies all of `input` into `output` through a MediaWriter (frames re-encoded, packets copied).
@discardableResult
func transcode(_ input: String, to output: String, settings: VideoEncoderSettings? = nil, overwrite: Bool = false)
    throws -> MediaWriter
{
    let reader = try MediaReader(input)
    let rate = reader.info.video.frameRate ?? Rational(25)
    let writer = try MediaWriter(
        destination: output,
        settings: settings ?? VideoEncoderSettings(codec: .h264, preset: "ultrafast", frameRate: rate),
        source: reader, overwrite: overwrite)
    try copyAll(reader, into: writer)
    return writer
}

/// Writes everything `reader` has left into `writer` (frames re-encoded, packets copied) and finishes it.
func copyAll(_ reader: MediaReader, into writer: MediaWriter) throws {
    while let event = try reader.next() {
        switch event {
        case .video(let frame): try writer.write(frame)
        case .packet(let packet): try writer.write(packet)
        }
    }
    try writer.finish()
}
