import Foundation
import KinetoMedia
import KinetoPortrait
import KinetoTestSupport

/// The person and background of the known-background tests, 256²: obama.jpg's head and shoulders with their
/// segmentation mask (the person layer), and a frame of samples/tree.avi (the background it is laid over).
struct KnownBackgroundScene {
    static let side = 256
    let person: RGBImage
    let background: RGBImage
    /// The person's alpha, 0…1 per pixel, from the selfie-segmentation model.
    let alpha: [Float]
    let models: PortraitModels

    init() throws {
        let media = try Scratch("kineto-portrait")
        let personPath = media.path("person.png")
        let backgroundPath = media.path("background.png")
        try media.ffmpeg([
            "-i", facePhoto("obama"), "-vf", "crop=520:520:231:0,scale=256:256", "-frames:v", "1", personPath,
        ])
        try media.ffmpeg([
            "-ss", "7", "-i", Fixtures.sample("tree.avi"), "-vf", "crop=240:240:40:0,scale=256:256", "-frames:v", "1",
            backgroundPath,
        ])
        person = try PortraitAnimator.loadImage(personPath)
        background = try PortraitAnimator.loadImage(backgroundPath)
        models = try PortraitModels()
        alpha = try models.personMask(person)
    }
}
