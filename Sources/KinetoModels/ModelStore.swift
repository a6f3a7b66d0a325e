import Foundation
import KinetoWeights

/// The directory that holds installed model weights, one subdirectory per model (`rife-4.25/flownet.pkl`).
///
/// Location: `KINETO_MODEL_DIR` if set; else `$XDG_DATA_HOME/kineto/models`; else `~/.local/share/kineto/models`.
/// Without `KINETO_MODEL_DIR`, models not found there are also looked up in `/var/lib/kineto/models`, the
/// system-wide store a service uses. Installing copies into `directory` atomically, after checking the SHA-256.
public struct ModelStore: Sendable {
    /// Where `install` writes.
    public let directory: URL
    /// Where installed models are looked up, in order (`directory` first).
    public let searchDirectories: [URL]

    /// The system-wide store for services.
    public static let systemDirectory = URL(fileURLWithPath: "/var/lib/kineto/models")

    public init(directory: URL, fallbacks: [URL] = []) {
        self.directory = directory
        self.searchDirectories =
            [directory] + fallbacks.filter { $0.standardizedFileURL != directory.standardizedFileURL }
    }

    /// The store the environment selects (see the type's documentation).
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> ModelStore {
        if let explicit = environment["KINETO_MODEL_DIR"], !explicit.isEmpty {
            return ModelStore(directory: URL(fileURLWithPath: explicit))
        }
        let user: URL
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            user = URL(fileURLWithPath: data).appendingPathComponent("kineto/models")
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            user = URL(fileURLWithPath: home).appendingPathComponent(".local/share/kineto/models")
        }
        return ModelStore(directory: user, fallbacks: [systemDirectory])
    }

    /// The model of the catalogue named `name` (id or alias), or an error listing the known ones.
    public static func descriptor(named name: String) throws -> ModelDescriptor {
        if let found = ModelDescriptor.catalogue.first(where: { $0.matches(name) }) { return found }
        let known = ModelDescriptor.catalogue.map { ([$0.id] + $0.aliases).joined(separator: "/") }
        throw ModelStoreError("unknown model \"\(name)\"; known models: \(known.joined(separator: ", "))")
    }

    /// Where `model`'s weight file lives in `directory`.
    public func path(of model: ModelDescriptor, in directory: URL? = nil) -> URL {
        (directory ?? self.directory).appendingPathComponent(model.directory).appendingPathComponent(model.fileName)
    }

    /// The first installed copy of `model`'s weight file in the search directories, not verified.
    public func installedFile(_ model: ModelDescriptor) -> URL? {
        searchDirectories.map { path(of: model, in: $0) }.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// What `kineto models list` shows for one model.
    public enum State: Equatable, Sendable {
        case notInstalled
        /// Installed and its SHA-256 equals the catalogue's (or the catalogue has none to check).
        case verified(URL)
        /// Installed but the file's SHA-256 differs from the catalogue's.
        case corrupt(URL, actualSHA256: String)
        /// Installed but unreadable.
        case unreadable(URL, reason: String)
    }

    /// Finds `model` and checks its hash.
    public func state(of model: ModelDescriptor) -> State {
        guard let file = installedFile(model) else { return .notInstalled }
        do {
            let digest = try SHA256.hexDigest(ofFile: file)
            if let expected = model.sha256, digest != expected { return .corrupt(file, actualSHA256: digest) }
            return .verified(file)
        } catch {
            return .unreadable(file, reason: "\(error)")
        }
    }

    /// The verified weight file of `model`, or an error that says how to install it.
    public func verifiedFile(_ model: ModelDescriptor) throws -> URL {
        switch state(of: model) {
        case .verified(let file):
            return file
        case .notInstalled:
            throw ModelStoreError(
                "model \(model.id) is not installed (looked in \(searchDirectories.map(\.path).joined(separator: ", "))); \(model.installHint)"
            )
        case .corrupt(let file, let actual):
            throw ModelStoreError(
                "model \(model.id) at \(file.path) is corrupt: SHA-256 \(actual), expected \(model.sha256 ?? "-"); reinstall it: \(model.installHint)"
            )
        case .unreadable(let file, let reason):
            throw ModelStoreError(
                "model \(model.id) at \(file.path) cannot be read (\(reason)); reinstall it: \(model.installHint)")
        }
    }

    /// Copies `source` into the store as `model`'s weight file after checking its SHA-256. The file appears under
    /// its final name only complete (written to a temporary name in the same directory, then renamed).
    @discardableResult
    public func install(_ model: ModelDescriptor, from source: URL) throws -> URL {
        guard FileManager.default.isReadableFile(atPath: source.path) else {
            throw ModelStoreError("cannot read \(source.path): no such file or no permission")
        }
        let digest: String
        do { digest = try SHA256.hexDigest(ofFile: source) } catch {
            throw ModelStoreError("cannot read \(source.path): \(error)")
        }
        if let expected = model.sha256, digest != expected {
            throw ModelStoreError(
                "\(source.path) is not the official \(model.id) weight file: SHA-256 \(digest), expected \(expected) (\(model.source))"
            )
        }
        let target = path(of: model)
        let folder = target.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(
            ".\(model.fileName).partial-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: temporary)
            try FileManager.default.copyItem(at: source, to: temporary)
            // The copy must be what was checked (a source changing under us, a full disk).
            guard try SHA256.hexDigest(ofFile: temporary) == digest else {
                throw ModelStoreError("the copy of \(source.path) in \(folder.path) differs from the source")
            }
            if rename(temporary.path, target.path) != 0 {
                throw ModelStoreError(
                    "cannot move \(temporary.path) to \(target.path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let error = error as? ModelStoreError { throw error }
            throw ModelStoreError("cannot install \(model.id) into \(folder.path): \(error.localizedDescription)")
        }
        return target
    }
}

/// A model store problem a user can fix (missing, corrupt or unknown model), with what to do.
public struct ModelStoreError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
