import Foundation
import KinetoTestSupport
import KinetoWeights
import Testing

@Suite struct DeterministicWeightsTests {
    @Test func readmeTestVector() {
        #expect(DeterministicWeights.fnv1a64("a.weight") == 16_029_347_488_473_366_350)
        let values = DeterministicWeights.values("a.weight", count: 4, center: 0, scale: 1)
        #expect(values == [0.34106361865997314, -0.325417160987854, 0.009931564331054688, 0.8677395582199097])
    }

    /// The golden checkpoints were filled with `values(name, shape, 0, 0.1)`: reproduce one bit for bit.
    @Test func matchesValuesMadeByTheReferenceGenerator() throws {
        let expected = try SafeTensorsFile(contentsOf: golden("checkpoints/checkpoints-expected.safetensors"))
        let bias = try expected.floats("bdcn:features.conv1_1.bias")
        #expect(DeterministicWeights.values("bdcn1b", count: 64, center: 0, scale: 0.1) == bias)
        let weight = try expected.floats("bdcn:features.conv1_1.weight")
        #expect(DeterministicWeights.values("bdcn1", count: 64 * 27, center: 0, scale: 0.1) == weight)
    }

    @Test func manifestListsFeatureFlowWithAliases() throws {
        let manifest = try DeterministicManifest(contentsOf: golden("featureflow-manifest.json"))
        #expect(manifest.entries.count == 719)
        #expect(manifest.entries.reduce(0) { $0 + $1.count } == 133_694_359)
        let conv = try manifest.entry("bdcn.features.conv1_1.weight")
        #expect(conv.shape == [64, 3, 3, 3])
        #expect(conv.center == 0)
        let aliased = try #require(manifest.entries.first { !$0.aliases.isEmpty })
        let primary = try manifest.tensor(aliased.name)
        let alias = try manifest.tensor(aliased.aliases[0])
        #expect(alias.values == primary.values)
        #expect(alias.name == aliased.aliases[0])
        #expect(
            primary.values
                == DeterministicWeights.values(
                    aliased.name, count: aliased.count, center: aliased.center, scale: aliased.scale))
        let bdcn = manifest.tensors(withPrefix: "bdcn.")
        #expect(
            bdcn["bdcn.features.conv1_1.weight"]?.values
                == DeterministicWeights.values(
                    "bdcn.features.conv1_1.weight", count: 1728, center: 0, scale: conv.scale))
        #expect(bdcn.keys.allSatisfy { $0.hasPrefix("bdcn.") })
        #expect(throws: WeightError.self) { _ = try manifest.entry("no.such") }
    }

    @Test func badManifestIsAnError() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("m.json")
            try Data(#"{"generator":"detweights","tensors":{"a":{"shape":[-3],"center":0,"scale":1}}}"#.utf8).write(
                to: url)
            let error = #expect(throws: WeightError.self) { _ = try DeterministicManifest(contentsOf: url) }
            #expect(error?.key == "a")
            try Data("not json".utf8).write(to: url)
            #expect(throws: WeightError.self) { _ = try DeterministicManifest(contentsOf: url) }
        }
    }
}
