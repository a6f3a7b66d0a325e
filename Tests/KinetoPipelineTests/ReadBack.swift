import Foundation
import KinetoMedia

/// What a written file holds, read back with the media layer.
struct ReadBack {
    var frameTimes: [Rational] = []
    var audioCodecs: [String] = []
    var audioPackets = 0
    var firstAudioTime: Double?
    var lastAudioTime: Double?
    var info: MediaInfo

    init(_ path: String) throws {
        let reader = try MediaReader(path)
        info = reader.info
        audioCodecs = info.audio.map(\.codec)
        while let event = try reader.next() {
            switch event {
            case .video(let frame): frameTimes.append(frame.time)
            case .packet(let packet):
                guard let time = packet.time?.doubleValue else { continue }
                audioPackets += 1
                firstAudioTime = min(firstAudioTime ?? time, time)
                lastAudioTime = max(lastAudioTime ?? time, time)
            }
        }
    }
}
