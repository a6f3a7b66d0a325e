import Dispatch
import Foundation

/// Keeps a live job in real time: when the output falls behind the input's own clock, it steps down
/// a ladder of cheaper ways to make frames (a model at a coarser scale, then cross-fades, then the
/// nearest frame), and steps back up once it has caught up for a while.
///
/// Lag is measured at the encoder: how far the wall clock since the first input frame has run ahead
/// of the media time of the frame being written. Queues between the stages are short, so a lower
/// level shows in the lag within a few frames; changes are spaced so each can take effect first.
final class LiveQualityGovernor: @unchecked Sendable {
    /// One rung of the ladder.
    enum Level: Sendable {
        /// The job's model with the options at `index` of its cheaper-and-cheaper list.
        case model(index: Int, label: String)
        case crossFade
        case nearestFrame

        var label: String {
            switch self {
            case .model(_, let label): return label
            case .crossFade: return "blend"
            case .nearestFrame: return "repeat"
            }
        }
    }

    let levels: [Level]
    /// Seconds behind real time that trigger a step down.
    let behind: Double
    /// Seconds behind real time under which the job counts as caught up.
    let caughtUp: Double
    /// Seconds caught up before a step back up.
    let recoveryDelay: Double
    /// Seconds between changes.
    let spacing: Double

    private let lock = NSLock()
    private var index = 0
    private var lastChange: Double = -.infinity
    private var calmSince: Double?
    private(set) var worstLag: Double = 0
    private(set) var events: [String] = []

    init(
        levels: [Level], behind: Double = 1.0, caughtUp: Double = 0.3, recoveryDelay: Double = 5, spacing: Double = 1.0
    ) {
        self.levels = levels
        self.behind = behind
        self.caughtUp = caughtUp
        self.recoveryDelay = recoveryDelay
        self.spacing = spacing
    }

    /// The level work should be done at now.
    var current: Level {
        lock.lock()
        defer { lock.unlock() }
        return levels[index]
    }

    /// The level for work that is `lag` seconds behind: the current one after taking the measurement
    /// (messages about changes go to `log`), or the cheapest when the work is so late that only
    /// skipping computation can catch up.
    func level(forLag lag: Double, log: (@Sendable (String) -> Void)?) -> Level {
        let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        if let message = observe(lag: lag, now: now) { log?(message) }
        if lag > 2 * behind { return levels[levels.count - 1] }
        return current
    }

    /// Takes a lag measurement at wall time `now` (seconds); returns a message when the level changes.
    func observe(lag: Double, now: Double) -> String? {
        lock.lock()
        defer { lock.unlock() }
        worstLag = max(worstLag, lag)
        if lag < caughtUp {
            if calmSince == nil { calmSince = now }
        } else {
            calmSince = nil
        }
        guard now - lastChange >= spacing else { return nil }
        var message: String?
        if lag > behind && index + 1 < levels.count {
            index += 1
            message = String(
                format: "live input %.1f s behind real time: making frames with %@ instead of %@",
                lag, levels[index].label, levels[index - 1].label)
        } else if index > 0, let calmSince, now - calmSince >= recoveryDelay {
            index -= 1
            message = String(
                format: "caught up with the live input (%.2f s behind): back to %@", lag, levels[index].label)
        }
        if let message {
            lastChange = now
            calmSince = nil
            events.append(message)
        }
        return message
    }
}
