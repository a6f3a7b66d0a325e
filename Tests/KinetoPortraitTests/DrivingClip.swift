import Foundation
import KinetoTestSupport

extension Scratch {
    /// The driving clip: the three Obama photos (closed-mouth smile, broad smile showing the teeth, speaking with the mouth open), each
    /// held 1.2 s and cropped around the face, under a slow rigid head motion (rotation ±0.08 rad, shifts of ±12 px)
    /// at 256² and 25 fps: 90 frames, 3.6 s, with a 440 Hz sine as AAC audio.
    func drivingClip() throws -> String {
        let out = path("driving.mp4")
        let faces = golden("faces")
        var arguments: [String] = []
        for name in ["obama3", "obama", "obama2"] {
            arguments += [
                "-loop", "1", "-framerate", "25", "-t", "1.2", "-i", faces.appendingPathComponent("\(name).jpg").path,
            ]
        }
        arguments += [
            "-f", "lavfi", "-t", "3.6", "-i", "sine=frequency=440:sample_rate=44100",
            "-filter_complex",
            "[0:v]crop=606:606:457:162,scale=288:288,setsar=1[a0];[1:v]crop=520:520:231:0,scale=288:288,setsar=1[a1];"
                + "[2:v]crop=600:600:26:136,scale=288:288,setsar=1[a2];[a0][a1][a2]concat=n=3:v=1:a=0,"
                + "rotate='0.08*sin(2*PI*t/1.2)',crop=256:256:'16+12*sin(2*PI*t/1.2)':'16+8*sin(4*PI*t/1.2)',format=yuv420p[v]",
            "-map", "[v]", "-map", "3:a", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-c:a", "aac",
            "-shortest", out,
        ]
        try ffmpeg(arguments)
        return out
    }
}
