import ArgumentParser
import KinetoCLI
import Testing

@Suite struct GoldenCommandTests {
    @Test func unknownKindIsAUsageErrorNamingKnownKinds() {
        do {
            _ = try KinetoCommand.parseAsRoot(["golden", "check", "nope", "file.safetensors"])
            Issue.record("parsing an unknown kind should fail")
        } catch {
            let message = KinetoCommand.message(for: error)
            #expect(message.contains("nope"))
            #expect(message.contains("ops"))
        }
    }

    @Test func benchOpsParses() throws {
        let command = try KinetoCommand.parseAsRoot(["bench", "ops", "--seconds", "0.5", "--filter", "deform"])
        #expect("\(type(of: command))".contains("BenchOps"))
    }
}
