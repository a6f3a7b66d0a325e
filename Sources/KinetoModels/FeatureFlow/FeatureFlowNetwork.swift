import Foundation
import KinetoEngine
import KinetoWeights

/// FeatureFlow (Gui et al., "FeatureFlow: Robust Video Interpolation via Structure-to-Texture Generation",
/// CVPR 2020; official code CM-BF/FeatureFlow) on Kineto's engine, operator for operator:
///
///     e_i  = tanh(BDCN(img_i)[0])                      (edges, `BDCNEdgeDetector`)
///     ref  = StructureGen(img0 ⊕ e0, img1 ⊕ e1)[:3]     (coarse middle frame, `FeatureFlowStructureGen`)
///     out  = clamp(DetailEnhance(img0, img1, ref), -1, 1)  (`FeatureFlowDetailEnhance`)
///
/// Images are `[1, 3, H, W]` in [-1, 1] (the official `(rgb/255 − 0.5)/0.5`) with H and W multiples of 8;
/// `FeatureFlowInterpolator` pads other sizes and bounds the memory of large frames.
public final class FeatureFlowNetwork: @unchecked Sendable {
    public let edges: BDCNEdgeDetector
    public let structure: FeatureFlowStructureGen
    public let detail: FeatureFlowDetailEnhance
    /// Memory for every intermediate tensor; reused from frame to frame.
    public let pool = TensorPool()
    /// Seconds of the stages of the last `forward` (`bdcn`, `structure`, `detail`), when `profiling` is on.
    public private(set) var stageSeconds: [String: Double] = [:]
    public var profiling = false

    /// 3×3 convolutions over maps of at least this many 4×4 tiles run by Winograd's F(4×4, 3×3) (`WinogradConv3x3`);
    /// smaller maps (StructureGen's 1/8 features of small frames) convolve directly. `Int.max` turns Winograd off.
    nonisolated(unsafe) public static var winogradMinimumTiles = 16

    /// Frame sizes must be multiples of this (ResNet's 1/8 features are upsampled back ×8).
    public static let sizeMultiple = 8

    /// Builds the three networks from `weights` (names prefixed `bdcn.`, `structure.`, `detail.`); throws
    /// `FeatureFlowWeightError` listing every missing or misshapen tensor.
    public convenience init(weights: FeatureFlowWeightSource) throws {
        let loader = FeatureFlowWeightLoader(source: weights)
        try self.init(loader: loader)
    }

    init(loader: FeatureFlowWeightLoader) throws {
        edges = try BDCNEdgeDetector(loader)
        structure = try FeatureFlowStructureGen(loader)
        detail = try FeatureFlowDetailEnhance(loader)
        try loader.finish()
    }

    /// Every tensor name the network reads, with its shape (what an imported checkpoint must provide), in the
    /// order the layers are built.
    public static func requiredWeights() -> [(name: String, shape: [Int])] {
        let loader = FeatureFlowWeightLoader(source: FeatureFlowWeightDictionary([:], description: "nothing"))
        _ = try? FeatureFlowNetwork(loader: loader)
        return loader.requested
    }

    /// Every intermediate that the golden file stores, by the golden file's names.
    public struct Stages {
        public var tensors: [(name: String, tensor: Tensor)] = []
        public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }
    }

    /// Runs the whole network on `img0`, `img1` (`[1, 3, H, W]`, H and W multiples of 8), keeping every stage the
    /// golden file holds (`bdcn.edge0`, …, `output.frame`). For checks; `forward` is leaner.
    public func stages(_ img0: Tensor, _ img1: Tensor) -> Stages {
        var s = Stages()
        let x0 = pool.copy(img0)
        let x1 = pool.copy(img1)
        let e0 = edges(x0)
        let e1 = edges(x1)
        s.tensors += [("bdcn.edge0", e0), ("bdcn.edge1", e1)]
        let f0 = structure.features(Ops.concat([x0, e0]))
        let f1 = structure.features(Ops.concat([x1, e1]))
        s.tensors += [("structure.features0", f0), ("structure.features1", f1)]
        let mix = structure.mix(f0, f1)
        s.tensors += [("structure.dcn_mixed", mix.mixed), ("structure.dcn_out_x", mix.outX)]
        let generated = structure.generate(mix.mixed)
        s.tensors.append(("structure.output", generated))
        let ref = generated.channels(0..<3).contiguousCopy()
        let aRef = detail.alignedFeatures(ref)
        s.tensors += [("detail.aligned_ref_L1", aRef[0]), ("detail.aligned_ref_L3", aRef[2])]
        let p0 = detail.align(detail.alignedFeatures(x0), to: aRef)
        s.tensors.append(("detail.pcd0", p0))
        let fused = detail.fuse([p0, detail.align(aRef, to: aRef), detail.align(detail.alignedFeatures(x1), to: aRef)])
        s.tensors.append(("detail.tsa", fused))
        let out = detail.reconstruct(fused, center: ref)
        s.tensors += [("detail.output", out), ("output.frame", Ops.clamp(out, min: -1, max: 1))]
        return s
    }

    /// The coarse middle frame `[1, 3, H, W]` (StructureGen's image channels) for frames in [-1, 1], H and W
    /// multiples of 8. Edges are computed here unless given.
    public func coarseFrame(_ img0: Tensor, _ img1: Tensor, edges givenEdges: (Tensor, Tensor)? = nil) -> Tensor {
        let x0 = img0.pool === pool ? img0 : pool.copy(img0)
        let x1 = img1.pool === pool ? img1 : pool.copy(img1)
        let (e0, e1) = givenEdges ?? timed("bdcn") { (edges(x0), edges(x1)) }
        return timed("structure") {
            let f0 = structure.features(Ops.concat([x0, e0]))
            let f1 = structure.features(Ops.concat([x1, e1]))
            return structure.generate(structure.mix(f0, f1).mixed).channels(0..<3).contiguousCopy()
        }
    }

    /// The interpolated middle frame `[1, 3, H, W]` in [-1, 1] for frames in [-1, 1] (H, W multiples of 8).
    public func forward(_ img0: Tensor, _ img1: Tensor) -> Tensor {
        let x0 = pool.copy(img0)
        let x1 = pool.copy(img1)
        let ref = coarseFrame(x0, x1)
        return timed("detail") {
            let out = detail(x0, x1, ref)
            return Ops.clamp(out, min: -1, max: 1, out: out)
        }
    }

    /// CPU seconds (all threads) of the stages of the last run, when `profiling` is on: with other processes
    /// competing for the cores, this says what the work costs where wall time does not.
    public private(set) var stageCPUSeconds: [String: Double] = [:]

    /// Runs `body`, recording its wall and CPU time under `stage` when profiling.
    func timed<T>(_ stage: String, _ body: () -> T) -> T {
        guard profiling else { return body() }
        let wall = DispatchTime.now().uptimeNanoseconds
        let cpu = ProcessStatistics.cpuSeconds
        let result = body()
        stageSeconds[stage] = Double(DispatchTime.now().uptimeNanoseconds - wall) / 1e9
        stageCPUSeconds[stage] = ProcessStatistics.cpuSeconds - cpu
        return result
    }
}
