import Foundation
import KinetoModels
import KinetoTestSupport
import Testing

@Suite struct ModelStoreTests {
    /// A catalogue entry for a small test file whose SHA-256 is known (`printf 'kineto' | sha256sum`).
    static let toy = ModelDescriptor(
        id: "toy-1", aliases: ["toy"], summary: "test model", licence: "MIT", source: "a test", fileName: "toy.bin",
        sha256: "15db7597440efa5b4cdb90587b205c48c52088e66c92726db167a1414ea3224a", installHint: "install the toy")

    @Test func directoryFollowsTheEnvironment() {
        let explicit = ModelStore.standard(environment: ["KINETO_MODEL_DIR": "/m", "XDG_DATA_HOME": "/x", "HOME": "/h"])
        #expect(explicit.directory.path == "/m")
        #expect(explicit.searchDirectories.map(\.path) == ["/m"])
        let xdg = ModelStore.standard(environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"])
        #expect(xdg.directory.path == "/x/kineto/models")
        #expect(xdg.searchDirectories.map(\.path) == ["/x/kineto/models", "/var/lib/kineto/models"])
        let home = ModelStore.standard(environment: ["HOME": "/h"])
        #expect(home.directory.path == "/h/.local/share/kineto/models")
    }

    @Test func catalogueNamesRIFEWithItsOfficialHash() throws {
        #expect(try ModelStore.descriptor(named: "RIFE") == .rife)
        #expect(try ModelStore.descriptor(named: "rife-4.25") == .rife)
        #expect(ModelDescriptor.rife.sha256 == "1195a2f0de8fcc06228590670c15cee18e27dd4f562864bf10454bed6f1e9c44")
        #expect(ModelDescriptor.rife.licence == "MIT")
        do {
            _ = try ModelStore.descriptor(named: "nope")
            Issue.record("an unknown model should be an error")
        } catch {
            #expect("\(error)".contains("nope") && "\(error)".contains("rife"))
        }
    }

    @Test func installChecksTheHashAndCopiesAtomically() throws {
        let scratch = try Scratch("kineto-store")
        let root = scratch.directory
        let store = ModelStore(directory: root.appendingPathComponent("store"))
        let good = root.appendingPathComponent("good.bin")
        let bad = root.appendingPathComponent("bad.bin")
        try Data("kineto".utf8).write(to: good)
        try Data("kinetO".utf8).write(to: bad)
        #expect(store.state(of: Self.toy) == .notInstalled)
        do {
            try store.install(Self.toy, from: bad)
            Issue.record("a file with the wrong hash must not install")
        } catch {
            #expect("\(error)".contains(Self.toy.sha256!))
        }
        #expect(!FileManager.default.fileExists(atPath: store.path(of: Self.toy).path))
        let target = try store.install(Self.toy, from: good)
        #expect(try Data(contentsOf: target) == Data("kineto".utf8))
        #expect(store.state(of: Self.toy) == .verified(target))
        #expect(try store.verifiedFile(Self.toy) == target)
        // Only the model file is left in its folder (no partial copies).
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: target.deletingLastPathComponent().path) == ["toy.bin"])
    }

    @Test func missingAndCorruptModelsSayHowToInstall() throws {
        let scratch = try Scratch("kineto-store")
        let root = scratch.directory
        let store = ModelStore(directory: root)
        do {
            _ = try store.verifiedFile(Self.toy)
            Issue.record("a missing model should be an error")
        } catch {
            #expect("\(error)".contains("not installed") && "\(error)".contains("install the toy"))
        }
        let file = store.path(of: Self.toy)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("damaged".utf8).write(to: file)
        guard case .corrupt = store.state(of: Self.toy) else {
            Issue.record("a damaged file should be reported corrupt")
            return
        }
        do {
            _ = try store.verifiedFile(Self.toy)
            Issue.record("a corrupt model should be an error")
        } catch {
            #expect("\(error)".contains("corrupt") && "\(error)".contains("install the toy"))
        }
    }

    @Test func fallbackDirectoryIsSearchedAfterTheUserStore() throws {
        let scratch = try Scratch("kineto-store")
        let root = scratch.directory
        let system = ModelStore(directory: root.appendingPathComponent("system"))
        try Data("kineto".utf8).write(to: root.appendingPathComponent("toy.bin"))
        try system.install(Self.toy, from: root.appendingPathComponent("toy.bin"))
        let store = ModelStore(directory: root.appendingPathComponent("user"), fallbacks: [system.directory])
        #expect(store.state(of: Self.toy) == .verified(system.path(of: Self.toy)))
    }
}
