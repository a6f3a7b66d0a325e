import KinetoEngine

/// Stage I of FeatureFlow (`StructureGen(feature_level=3)` in `src/pure_network.py`): features of both frames
/// with their edges (ResNet-50 through layer2, 4-channel first convolution), a deformable mix of the two feature
/// maps (`DeformableConv(512, dg=16)`), and `GlobalGenerator` back to full size: a coarse middle frame (3 channels)
/// plus its edge map (1 channel).
public struct FeatureFlowStructureGen {
    let stem: Conv2d
    let layers: [Bottleneck]
    let dcn: DeformableMix
    let generator: GlobalGenerator

    /// torchvision's ResNet-50 `Bottleneck` (v1.5: the stride sits on the 3×3 convolution), batch norms folded.
    struct Bottleneck {
        let conv1: Conv2d, conv2: FeatureFlowConv, conv3: Conv2d
        let downsample: Conv2d?

        init(_ l: FeatureFlowWeightLoader, _ p: String, inChannels: Int, width: Int, stride: Int, downsample: Bool)
            throws
        {
            conv1 = try l.convBN(
                p + ".conv1", bn: p + ".bn1", inChannels, width, kernel: 1, bias: false, activation: .relu)
            conv2 = FeatureFlowConv(
                try l.convBN(
                    p + ".conv2", bn: p + ".bn2", width, width, kernel: 3, stride: stride,
                    padding: 1, bias: false, activation: .relu))
            conv3 = try l.convBN(
                p + ".conv3", bn: p + ".bn3", width, width * 4, kernel: 1, bias: false, activation: .relu)
            self.downsample =
                downsample
                ? try l.convBN(
                    p + ".downsample.0", bn: p + ".downsample.1", inChannels, width * 4, kernel: 1,
                    stride: stride, bias: false)
                : nil
        }

        func callAsFunction(_ x: Tensor) -> Tensor {
            let identity = downsample.map { $0(x) } ?? x
            return conv3(conv2(conv1(x)), residual: identity)
        }
    }

    /// `DeformableConv(512, dg=16)` called without `last_offset` (the only way StructureGen calls it).
    struct DeformableMix {
        let groups = 16
        let offset1: FeatureFlowConv
        let offsetBN: FeatureFlowResnetBlockBN, offsetPlain: FeatureFlowResnetBlock
        let offsetOut: FeatureFlowConv
        let dcnWeight: Tensor
        let emb: FeatureFlowConv
        let mix1: FeatureFlowConv, mixBlock: FeatureFlowResnetBlock, mix2: FeatureFlowConv

        init(_ l: FeatureFlowWeightLoader, _ p: String, channels c: Int) throws {
            // nn.LeakyReLU(True) passes True as negative_slope: slope 1, the identity.
            offset1 = FeatureFlowConv(
                try l.convBN(p + ".offset_cnn1.0", bn: p + ".offset_cnn1.1", 2 * c, c, kernel: 3, padding: 1))
            offsetBN = try FeatureFlowResnetBlockBN(l, p + ".offset_cnn3.0", channels: c)
            offsetPlain = try FeatureFlowResnetBlock(l, p + ".offset_cnn3.5", channels: c, activation: .leakyReLU(0.1))
            offsetOut = FeatureFlowConv(try l.conv(p + ".offset_cnn3.8", c, 2 * 2 * groups * 9, kernel: 3, padding: 1))
            dcnWeight = try l.tensor(p + ".dcn.weight", [c, c, 3, 3])
            emb = FeatureFlowConv(try l.conv(p + ".emb", c, c, kernel: 3, padding: 1))
            mix1 = FeatureFlowConv(try l.conv(p + ".mix_map.0", 2 * c, c, kernel: 3, padding: 1))
            mixBlock = try FeatureFlowResnetBlock(l, p + ".mix_map.2", channels: c, activation: .leakyReLU(0.1))
            mix2 = FeatureFlowConv(
                try l.conv(p + ".mix_map.5", c, 2 * groups, kernel: 3, padding: 1, activation: .sigmoid))
        }

        /// `(mixed, out_x, out_y)` for feature maps `x`, `y` `[1, 512, h, w]`.
        func callAsFunction(_ x: Tensor, _ y: Tensor) -> (mixed: Tensor, outX: Tensor, outY: Tensor) {
            let c = x.c
            var offset = offset1(Ops.concat([x, y]))
            for _ in 0..<5 { offset = offsetBN(offset) }
            for _ in 0..<3 { offset = offsetPlain(offset) }
            offset = offsetOut(offset)
            let half = offset.c / 2
            let outX = Ops.deformConv2d(x, offset: offset.channels(0..<half), weight: dcnWeight, padding: 1)
            let outY = Ops.deformConv2d(y, offset: offset.channels(half..<(2 * half)), weight: dcnWeight, padding: 1)
            let embedded = Tensor.empty([x.n, 2 * c, x.h, x.w], like: x)
            _ = emb(outX, out: embedded.channels(0..<c))
            _ = emb(outY, out: embedded.channels(c..<(2 * c)))
            var m = mix1(embedded)
            for _ in 0..<3 { m = mixBlock(m) }
            let vmap = mix2(m)  // sigmoid fused: [N, 2·groups, h, w]
            let mixed = Tensor.empty(x.shape, like: x)
            let plane = x.h * x.w
            let perGroup = c / groups
            for item in 0..<x.n {
                let v = vmap.pointer(item: item)
                let px = outX.pointer(item: item)
                let py = outY.pointer(item: item)
                let out = mixed.pointer(item: item)
                Parallel.forEach(c) { ch in
                    let g = ch / perGroup
                    let vx = v + g * plane
                    let vy = v + (groups + g) * plane
                    let a = px + ch * plane
                    let b = py + ch * plane
                    let o = out + ch * plane
                    for i in 0..<plane { o[i] = vx[i] * a[i] + vy[i] * b[i] }
                }
            }
            return (mixed, outX, outY)
        }
    }

    /// pix2pixHD's `GlobalGenerator(512, 4, n_downsampling=3)`: 9 residual blocks (ReLU), three transposed
    /// convolutions ×2 with ReLU, reflection pad 3, 7×7 convolution, tanh.
    struct GlobalGenerator {
        let blocks: [FeatureFlowResnetBlock]
        let up: [ConvTranspose2d]
        let last: Conv2d

        init(_ l: FeatureFlowWeightLoader, _ p: String, channels c: Int, outputs: Int) throws {
            blocks = try (0..<9).map {
                try FeatureFlowResnetBlock(l, p + ".model.\($0)", channels: c, activation: .relu)
            }
            up = try (0..<3).map { i in
                try l.convTranspose(
                    p + ".model.\(9 + 2 * i)", c >> i, c >> (i + 1), kernel: 3, stride: 2, padding: 1,
                    outputPadding: 1, activation: .relu)
            }
            last = try l.conv(p + ".model.16", c >> 3, outputs, kernel: 7, activation: .tanh)
        }

        func callAsFunction(_ x: Tensor) -> Tensor {
            var y = x
            for block in blocks { y = block(y) }
            for u in up { y = u(y) }
            return last(Ops.pad(y, left: 3, right: 3, top: 3, bottom: 3, mode: .reflect))
        }
    }

    init(_ l: FeatureFlowWeightLoader, prefix p: String = "structure.") throws {
        let f = p + "extract_features."
        stem = try l.convBN(
            f + "conv1_4in", bn: f + "net.bn1", 4, 64, kernel: 7, stride: 2, padding: 3, bias: false,
            activation: .relu)
        var layers: [Bottleneck] = []
        for i in 0..<3 {
            layers.append(
                try Bottleneck(
                    l, f + "net.layer1.\(i)", inChannels: i == 0 ? 64 : 256, width: 64, stride: 1,
                    downsample: i == 0))
        }
        for i in 0..<4 {
            layers.append(
                try Bottleneck(
                    l, f + "net.layer2.\(i)", inChannels: i == 0 ? 256 : 512, width: 128,
                    stride: i == 0 ? 2 : 1, downsample: i == 0))
        }
        self.layers = layers
        dcn = try DeformableMix(l, p + "dcn", channels: 512)
        generator = try GlobalGenerator(l, p + "generator", channels: 512, outputs: 4)
    }

    /// `list(extract_features(x))[3]`: layer2's output `[N, 512, H/8, W/8]` for `x` = image ⊕ edges `[N, 4, H, W]`.
    public func features(_ x: Tensor) -> Tensor {
        var y = Ops.maxPool2d(stem(x), kernel: 3, stride: 2, padding: 1)
        for layer in layers { y = layer(y) }
        return y
    }

    /// The deformable mix of two feature maps: `(dcn_mixed, out_x, out_y)`.
    public func mix(_ features0: Tensor, _ features1: Tensor) -> (mixed: Tensor, outX: Tensor, outY: Tensor) {
        dcn(features0, features1)
    }

    /// The generator: the coarse middle frame (channels 0-2) and its edges (channel 3), `[N, 4, H, W]`.
    public func generate(_ mixed: Tensor) -> Tensor { generator(mixed) }
}
