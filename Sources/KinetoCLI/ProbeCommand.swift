import ArgumentParser
import Foundation
import KinetoMedia
import KinetoPipeline

/// `kineto probe INPUT [--json]`: what a file or stream holds.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Show the streams, sizes, rates and durations of a video file or stream."
    )

    @Argument(help: "Video file or URL (udp://, http://, …).")
    var input: String

    @Flag(help: "Print the description as JSON.")
    var json = false

    func run() throws {
        let info: MediaInfo
        do {
            info = try MediaReader(input, options: ReaderOptions(passthrough: false)).info
        } catch {
            throw CommandFailure.exit(PipelineError(wrapping: error, stage: .open))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(info), as: UTF8.self))
        } else {
            print(ProbeCommand.describe(info))
        }
    }

    /// The human-readable description: one line for the container, one per stream.
    static func describe(_ info: MediaInfo) -> String {
        var lines: [String] = []
        var head = "\(info.source): \(info.formatLongName.isEmpty ? info.format : info.formatLongName)"
        if let duration = info.duration { head += ", " + String(format: "%.3f s", duration) }
        if let bitRate = info.bitRate { head += ", \(bitRate / 1000) kb/s" }
        lines.append(head)
        let v = info.video
        var video = "  video #\(v.index): \(v.codec)"
        if let profile = v.profile { video += " (\(profile))" }
        video += ", \(v.width)×\(v.height), \(v.pixelFormat) \(v.bitDepth)-bit"
        if let rate = v.averageFrameRate ?? v.frameRate {
            video += ", " + String(format: "%.3f", rate.doubleValue) + " fps (\(rate))"
            if let base = v.frameRate, let average = v.averageFrameRate, base != average {
                video += ", base rate \(base)"
            }
        }
        if let frames = v.frameCount { video += ", \(frames) frames" }
        if let duration = v.duration { video += ", " + String(format: "%.3f s", duration) }
        if v.rotation != 0 { video += ", rotated \(v.rotation)°" }
        if v.colorMatrix != "unknown" || v.colorRange != "unknown" {
            video += ", colour \(v.colorMatrix)/\(v.colorPrimaries)/\(v.colorTransfer) \(v.colorRange) range"
        }
        lines.append(video)
        for a in info.audio {
            var audio =
                "  audio #\(a.index): \(a.codec), \(a.sampleRate) Hz, \(a.channelLayout.isEmpty ? "\(a.channels) channels" : a.channelLayout)"
            if let language = a.language { audio += ", \(language)" }
            if let duration = a.duration { audio += ", " + String(format: "%.3f s", duration) }
            lines.append(audio)
        }
        for s in info.subtitles {
            lines.append("  subtitles #\(s.index): \(s.codec)" + (s.language.map { ", \($0)" } ?? ""))
        }
        for other in info.otherStreams { lines.append("  other \(other)") }
        for chapter in info.chapters {
            lines.append(
                "  chapter " + String(format: "%.3f–%.3f s", chapter.start, chapter.end)
                    + (chapter.title.map { ": \($0)" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }
}
