import KinetoCLI
import KinetoPipeline
import Testing

@Test func versionIsSemantic() {
    let parts = KinetoVersion.string.split(separator: ".")
    #expect(parts.count == 3)
    #expect(parts.allSatisfy { Int($0) != nil })
}
