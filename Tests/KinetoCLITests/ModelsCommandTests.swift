import ArgumentParser
import Foundation
import KinetoCLI
import KinetoTestSupport
import Testing

@Suite struct ModelsCommandTests {
    @Test func modelsAndBenchSubcommandsParse() throws {
        #expect("\(type(of: try KinetoCommand.parseAsRoot(["models", "list"])))".contains("ModelsList"))
        #expect("\(type(of: try KinetoCommand.parseAsRoot(["models", "verify", "rife"])))".contains("ModelsVerify"))
        let install = try KinetoCommand.parseAsRoot(["models", "install", "rife", "--from", "/tmp/flownet.pkl"])
        #expect("\(type(of: install))".contains("ModelsInstall"))
        let bench = try KinetoCommand.parseAsRoot(["bench", "models", "--sizes", "640x480", "--repeats", "1"])
        #expect("\(type(of: bench))".contains("BenchModels"))
        let golden = try KinetoCommand.parseAsRoot(["golden", "check", "rife", "x.safetensors", "--weights", "w.pkl"])
        #expect("\(type(of: golden))".contains("GoldenCheck"))
    }

    @Test func installNeedsAFile() {
        do {
            _ = try KinetoCommand.parseAsRoot(["models", "install", "rife"])
            Issue.record("install without --from should be a usage error")
        } catch {
            #expect(KinetoCommand.message(for: error).contains("from"))
        }
    }

    @Test func installingAnUnknownModelOrAWrongFileFails() throws {
        var unknown = try KinetoCommand.parseAsRoot(["models", "install", "nope", "--from", "/etc/hostname"])
        #expect(throws: (any Error).self) { try unknown.run() }
        let scratch = try Scratch("kineto-fake-weights")
        let url = URL(fileURLWithPath: scratch.path("flownet.pkl"))
        try Data("not the weights".utf8).write(to: url)
        var wrong = try KinetoCommand.parseAsRoot(["models", "install", "rife", "--from", url.path])
        do {
            try wrong.run()
            Issue.record("a file with another hash must not install")
        } catch {
            #expect("\(error)".contains("1195a2f0de8fcc06228590670c15cee18e27dd4f562864bf10454bed6f1e9c44"))
        }
    }
}
