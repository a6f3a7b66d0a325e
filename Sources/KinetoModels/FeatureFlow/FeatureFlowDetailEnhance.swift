import Foundation
import KinetoEngine

/// Stage II of FeatureFlow (`DetailEnhance` in `src/pure_network.py`, built from EDVR's parts): three-level
/// features of both frames and of the coarse middle frame (pre-deblur pyramid + 5 residual blocks), PCD alignment
/// of each to the middle frame's features (modulated deformable convolutions, 8 groups), TSA fusion of the three
/// aligned maps, and a reconstruction (one residual block applied 20 times) added to the coarse frame.
///
/// Frame sizes must be multiples of 4 (two stride-2 levels that are upsampled back).
public struct FeatureFlowDetailEnhance {
    let features: AlignedFeatures
    let pcd: PCDAlign
    let tsa: TSAFusion
    let reconstruct: Reconstruct
    static let lrelu = Activation.leakyReLU(0.1)

    /// Bilinear ×2, `align_corners=False` (EDVR's `F.interpolate(scale_factor=2)`).
    static func up2(_ x: Tensor) -> Tensor { Ops.interpolate(x, scaleFactor: 2) }

    /// `ExtractAlignedFeatures(nf=64, n_res=5)`: `Predeblur_ResNet_Pyramid` then levels L1 (full), L2 (½), L3 (¼).
    struct AlignedFeatures {
        let first: FeatureFlowConv, downL2: Conv2d, downL3: Conv2d
        let rbL1: [FeatureFlowResnetBlock], rbL2: [FeatureFlowResnetBlock], rbL3: FeatureFlowResnetBlock
        let trunk: FeatureFlowResnetBlock
        let l2conv1: Conv2d, l2conv2: FeatureFlowConv, l3conv1: Conv2d, l3conv2: FeatureFlowConv

        init(_ l: FeatureFlowWeightLoader, _ p: String, nf: Int = 64) throws {
            let d = p + ".deblur."
            first = FeatureFlowConv(try l.conv(d + "conv_first", 3, nf, kernel: 3, padding: 1, activation: lrelu))
            downL2 = try l.conv(d + "deblur_L2_conv", nf, nf, kernel: 3, stride: 2, padding: 1, activation: lrelu)
            downL3 = try l.conv(d + "deblur_L3_conv", nf, nf, kernel: 3, stride: 2, padding: 1, activation: lrelu)
            rbL1 = try (1...5).map { try FeatureFlowResnetBlock(l, d + "RB_L1_\($0)", channels: nf, activation: lrelu) }
            rbL2 = try (1...2).map { try FeatureFlowResnetBlock(l, d + "RB_L2_\($0)", channels: nf, activation: lrelu) }
            rbL3 = try FeatureFlowResnetBlock(l, d + "RB_L3_1", channels: nf, activation: lrelu)
            trunk = try FeatureFlowResnetBlock(l, p + ".fea_L1_conv.0", channels: nf, activation: lrelu)
            // No activation between conv1 and conv2 of each level (as the official code).
            l2conv1 = try l.conv(p + ".fea_L2_conv1", nf, nf, kernel: 3, stride: 2, padding: 1)
            l2conv2 = FeatureFlowConv(try l.conv(p + ".fea_L2_conv2", nf, nf, kernel: 3, padding: 1, activation: lrelu))
            l3conv1 = try l.conv(p + ".fea_L3_conv1", nf, nf, kernel: 3, stride: 2, padding: 1)
            l3conv2 = FeatureFlowConv(try l.conv(p + ".fea_L3_conv2", nf, nf, kernel: 3, padding: 1, activation: lrelu))
        }

        func callAsFunction(_ x: Tensor) -> [Tensor] {
            var l1 = first(x)
            var l2 = downL2(l1)
            let l3 = FeatureFlowDetailEnhance.up2(rbL3(downL3(l2)))
            l2 = rbL2[0](l2)
            l2 = FeatureFlowDetailEnhance.up2(rbL2[1](Ops.add(l2, l3, out: l2)))
            l1 = rbL1[1](rbL1[0](l1))
            l1 = Ops.add(l1, l2, out: l1)
            let deblurred = rbL1[4](rbL1[3](rbL1[2](l1)))
            let f1 = trunk.repeated(deblurred, times: 5)
            let f2 = l2conv2(l2conv1(f1))
            let f3 = l3conv2(l3conv1(f2))
            return [f1, f2, f3]
        }
    }

    /// EDVR's `DCN_sep`: a modulated deformable 3×3 convolution whose offsets and masks come from a convolution of
    /// another feature map (`conv_offset_mask`: 3·groups·9 channels = dy/dx pairs, then mask logits).
    struct DCNPack {
        let offsetMask: FeatureFlowConv
        let weight: Tensor, bias: Tensor
        let groups: Int

        init(_ l: FeatureFlowWeightLoader, _ p: String, nf: Int, groups: Int) throws {
            self.groups = groups
            offsetMask = FeatureFlowConv(try l.conv(p + ".conv_offset_mask", nf, groups * 3 * 9, kernel: 3, padding: 1))
            weight = try l.tensor(p + ".weight", [nf, nf, 3, 3])
            bias = try l.tensor(p + ".bias", [nf])
        }

        func callAsFunction(_ x: Tensor, _ feature: Tensor, activation: Activation = .none) -> Tensor {
            let om = offsetMask(feature)
            let n = groups * 9
            // chunk(3): o1 | o2 | mask; cat(o1, o2) is the first 2n channels as they are.
            let mask = Ops.sigmoid(om.channels((2 * n)..<(3 * n)))
            return Ops.deformConv2d(
                x, offset: om.channels(0..<(2 * n)), mask: mask, weight: weight, bias: bias,
                padding: 1, activation: activation)
        }
    }

    /// `PCD_Align(nf=64, groups=8)`: pyramid, cascading and deformable alignment of a neighbour's features to the
    /// reference's.
    struct PCDAlign {
        let l3off1: FeatureFlowConv, l3off2: FeatureFlowConv, l3dcn: DCNPack
        let l2off1: FeatureFlowConv, l2off2: FeatureFlowConv, l2off3: FeatureFlowConv, l2dcn: DCNPack,
            l2fea: FeatureFlowConv
        let l1off1: FeatureFlowConv, l1off2: FeatureFlowConv, l1off3: FeatureFlowConv, l1dcn: DCNPack,
            l1fea: FeatureFlowConv
        let casOff1: FeatureFlowConv, casOff2: FeatureFlowConv, casDcn: DCNPack

        init(_ l: FeatureFlowWeightLoader, _ p: String, nf: Int = 64, groups: Int = 8) throws {
            func conv(_ name: String, _ cin: Int, _ act: Activation = lrelu) throws -> FeatureFlowConv {
                FeatureFlowConv(try l.conv(p + "." + name, cin, nf, kernel: 3, padding: 1, activation: act))
            }
            l3off1 = try conv("L3_offset_conv1", 2 * nf)
            l3off2 = try conv("L3_offset_conv2", nf)
            l3dcn = try DCNPack(l, p + ".L3_dcnpack", nf: nf, groups: groups)
            l2off1 = try conv("L2_offset_conv1", 2 * nf)
            l2off2 = try conv("L2_offset_conv2", 2 * nf)
            l2off3 = try conv("L2_offset_conv3", nf)
            l2dcn = try DCNPack(l, p + ".L2_dcnpack", nf: nf, groups: groups)
            l2fea = try conv("L2_fea_conv", 2 * nf)
            l1off1 = try conv("L1_offset_conv1", 2 * nf)
            l1off2 = try conv("L1_offset_conv2", 2 * nf)
            l1off3 = try conv("L1_offset_conv3", nf)
            l1dcn = try DCNPack(l, p + ".L1_dcnpack", nf: nf, groups: groups)
            l1fea = try conv("L1_fea_conv", 2 * nf, .none)
            casOff1 = try conv("cas_offset_conv1", 2 * nf)
            casOff2 = try conv("cas_offset_conv2", nf)
            casDcn = try DCNPack(l, p + ".cas_dcnpack", nf: nf, groups: groups)
        }

        /// `cat([a, b·scale], 1)` with `b` scaled on the way in.
        static func concat(_ a: Tensor, _ b: Tensor, scalingSecond scale: Float = 1) -> Tensor {
            let y = Tensor.empty([a.n, a.c + b.c, a.h, a.w], like: a)
            y.channels(0..<a.c).copy(from: a)
            if scale == 1 {
                y.channels(a.c..<(a.c + b.c)).copy(from: b)
            } else {
                _ = Ops.affine(b, scale: scale, out: y.channels(a.c..<(a.c + b.c)))
            }
            return y
        }

        func callAsFunction(_ nbr: [Tensor], _ ref: [Tensor]) -> Tensor {
            let up2 = FeatureFlowDetailEnhance.up2
            // L3
            let l3off = l3off2(l3off1(PCDAlign.concat(nbr[2], ref[2])))
            let l3fea = l3dcn(nbr[2], l3off, activation: lrelu)
            // L2
            var l2off = l2off1(PCDAlign.concat(nbr[1], ref[1]))
            l2off = l2off3(l2off2(PCDAlign.concat(l2off, up2(l3off), scalingSecond: 2)))
            let l2aligned = l2dcn(nbr[1], l2off)
            let l2out = l2fea(PCDAlign.concat(l2aligned, up2(l3fea)))
            // L1
            var l1off = l1off1(PCDAlign.concat(nbr[0], ref[0]))
            l1off = l1off3(l1off2(PCDAlign.concat(l1off, up2(l2off), scalingSecond: 2)))
            let l1aligned = l1dcn(nbr[0], l1off)
            let l1out = l1fea(PCDAlign.concat(l1aligned, up2(l2out)))
            // Cascading
            let off = casOff2(casOff1(PCDAlign.concat(l1out, ref[0])))
            return casDcn(l1out, off, activation: lrelu)
        }
    }

    /// `TSA_Fusion(nf=64, nframes=3, center=1)`: temporal attention (correlation with the centre frame's
    /// embedding), fusion, and a two-level spatial attention.
    struct TSAFusion {
        let tAtt1: FeatureFlowConv, tAtt2: FeatureFlowConv, fusion: FeatureFlowConv
        let sAtt1: FeatureFlowConv, sAtt2: FeatureFlowConv, sAtt3: FeatureFlowConv, sAtt4: FeatureFlowConv,
            sAtt5: FeatureFlowConv
        let sAttL1: FeatureFlowConv, sAttL2: FeatureFlowConv, sAttL3: FeatureFlowConv, add1: FeatureFlowConv,
            add2: FeatureFlowConv
        let frames = 3, center = 1

        init(_ l: FeatureFlowWeightLoader, _ p: String, nf: Int = 64) throws {
            func conv(_ name: String, _ cin: Int, _ k: Int, _ act: Activation = lrelu) throws -> FeatureFlowConv {
                FeatureFlowConv(try l.conv(p + "." + name, cin, nf, kernel: k, padding: k / 2, activation: act))
            }
            tAtt1 = try conv("tAtt_1", nf, 3, .none)
            tAtt2 = try conv("tAtt_2", nf, 3, .none)
            fusion = try conv("fea_fusion", 3 * nf, 1)
            sAtt1 = try conv("sAtt_1", 3 * nf, 1)
            sAtt2 = try conv("sAtt_2", 2 * nf, 1)
            sAtt3 = try conv("sAtt_3", nf, 3)
            sAtt4 = try conv("sAtt_4", nf, 1)
            sAtt5 = try conv("sAtt_5", nf, 3, .none)
            sAttL1 = try conv("sAtt_L1", nf, 1)
            sAttL2 = try conv("sAtt_L2", 2 * nf, 3)
            sAttL3 = try conv("sAtt_L3", nf, 3)
            add1 = try conv("sAtt_add_1", nf, 1)
            add2 = try conv("sAtt_add_2", nf, 1, .none)
        }

        static func pools(_ x: Tensor) -> Tensor {
            let maxed = Ops.maxPool2d(x, kernel: 3, stride: 2, padding: 1)
            let y = Tensor.empty([x.n, 2 * x.c, maxed.h, maxed.w], like: x)
            y.channels(0..<x.c).copy(from: maxed)
            _ = Ops.avgPool2d(x, kernel: 3, stride: 2, padding: 1, out: y.channels(x.c..<(2 * x.c)))
            return y
        }

        /// Fuses the aligned features of the three frames (frame 1 is the centre).
        func callAsFunction(_ aligned: [Tensor]) -> Tensor {
            let first = aligned[0]
            let c = first.c
            let plane = first.h * first.w
            let embRef = tAtt2(aligned[center])
            // Temporal attention: each frame's features times sigmoid(Σ_c emb_i · emb_ref), concatenated.
            let weighted = Tensor.empty([first.n, frames * c, first.h, first.w], like: first)
            let probability = Tensor.empty([plane], like: first)
            for (i, frame) in aligned.enumerated() {
                let emb = tAtt1(frame)
                for item in 0..<first.n {
                    let e = emb.pointer(item: item)
                    let r = embRef.pointer(item: item)
                    let src = frame.pointer(item: item)
                    let dst = weighted.pointer(item: item) + i * c * plane
                    let prob = probability.pointer
                    // Channel by channel over a range of pixels (contiguous, vectorized), summing in the same
                    // order as a per-pixel loop over the channels.
                    Parallel.forRanges(plane, minimum: 1024, granularity: 16) { range in
                        let sum = prob + range.lowerBound
                        let count = range.count
                        sum.update(repeating: 0, count: count)
                        for ch in 0..<c {
                            let a = e + ch * plane + range.lowerBound
                            let b = r + ch * plane + range.lowerBound
                            for j in 0..<count { sum[j] += a[j] * b[j] }
                        }
                        for j in 0..<count { sum[j] = 1 / (1 + Foundation.exp(-sum[j])) }
                        for ch in 0..<c {
                            let from = src + ch * plane + range.lowerBound
                            let to = dst + ch * plane + range.lowerBound
                            for j in 0..<count { to[j] = from[j] * sum[j] }
                        }
                    }
                }
            }
            let fea = fusion(weighted)
            var att = sAtt1(weighted)
            att = sAtt2(TSAFusion.pools(att))
            var attL = sAttL1(att)
            attL = sAttL3(sAttL2(TSAFusion.pools(attL)))
            attL = FeatureFlowDetailEnhance.up2(attL)
            att = sAtt3(att)
            att = Ops.add(att, attL, out: att)
            att = sAtt5(FeatureFlowDetailEnhance.up2(sAtt4(att)))
            let attAdd = add2(add1(att))
            // fea · sigmoid(att) · 2 + att_add
            let out = Tensor.empty(fea.shape, like: fea)
            let total = fea.c * plane
            for item in 0..<fea.n {
                let f = fea.pointer(item: item)
                let a = att.pointer(item: item)
                let b = attAdd.pointer(item: item)
                let o = out.pointer(item: item)
                Parallel.forRanges(total, minimum: 1 << 15) { range in
                    for i in range { o[i] = f[i] * (1 / (1 + Foundation.exp(-a[i]))) * 2 + b[i] }
                }
            }
            return out
        }
    }

    /// `Reconstruct(nf=64, n_res=20)`: one residual block applied 20 times, `lrelu(HRconv)`, `conv_last`, plus the
    /// coarse frame. (`upconv1/2`, `pixel_shuffle` are defined in the official code but not used.)
    struct Reconstruct {
        let trunk: FeatureFlowResnetBlock
        let hr: FeatureFlowConv, last: FeatureFlowConv

        init(_ l: FeatureFlowWeightLoader, _ p: String, nf: Int = 64) throws {
            trunk = try FeatureFlowResnetBlock(l, p + ".recon_trunk.0", channels: nf, activation: lrelu)
            hr = FeatureFlowConv(try l.conv(p + ".HRconv", nf, nf, kernel: 3, padding: 1, activation: lrelu))
            last = FeatureFlowConv(try l.conv(p + ".conv_last", nf, 3, kernel: 3, padding: 1))
        }

        func callAsFunction(_ fea: Tensor, _ center: Tensor) -> Tensor {
            last(hr(trunk.repeated(fea, times: 20)), residual: center)
        }
    }

    init(_ l: FeatureFlowWeightLoader, prefix p: String = "detail.") throws {
        features = try AlignedFeatures(l, p + "extract_aligned_features")
        pcd = try PCDAlign(l, p + "pcd_align")
        tsa = try TSAFusion(l, p + "tsa_fusion")
        reconstruct = try Reconstruct(l, p + "reconstruct")
    }

    /// `extract_aligned_features(x)`: [L1, L2, L3] features of an image `[N, 3, H, W]`.
    public func alignedFeatures(_ image: Tensor) -> [Tensor] { features(image) }

    /// `pcd_align(neighbour, reference)`.
    public func align(_ neighbour: [Tensor], to reference: [Tensor]) -> Tensor { pcd(neighbour, reference) }

    /// `tsa_fusion(stack([a0, aref, a1], 1))`.
    public func fuse(_ aligned: [Tensor]) -> Tensor { tsa(aligned) }

    /// `reconstruct(tsa, ref)`.
    public func reconstruct(_ fused: Tensor, center: Tensor) -> Tensor { reconstruct(fused, center) }

    /// The whole stage: the refined middle frame (not clamped) for frames `img0`, `img1` and the coarse frame
    /// `ref` (all `[N, 3, H, W]`, in [-1, 1]).
    public func callAsFunction(_ img0: Tensor, _ img1: Tensor, _ ref: Tensor) -> Tensor {
        let aRef = features(ref)
        // Align each frame as soon as its features exist, so at most two feature pyramids are alive.
        let p0 = pcd(features(img0), aRef)
        let pRef = pcd(aRef, aRef)
        let p1 = pcd(features(img1), aRef)
        return reconstruct(tsa([p0, pRef, p1]), ref)
    }
}
