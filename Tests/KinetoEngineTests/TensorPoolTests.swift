import KinetoEngine
import Testing

@Suite struct TensorPoolTests {
    /// A small RIFE-like chain: convs with fused activations, a warp, a concat, resizes.
    func frame(_ pool: TensorPool, conv1: Conv2d, conv2: Conv2d, up: ConvTranspose2d) -> Float {
        let image = randomTensor([1, 3, 32, 48], seed: 5, pool: pool)
        let flow = randomTensor([1, 2, 32, 48], seed: 6, scale: 3, pool: pool)
        let warped = Ops.warp(image, flow: flow)
        let features = conv2(conv1(Ops.interpolate(Ops.concat([image, warped, flow]), scaleFactor: 0.5)))
        let head = up(features)
        return Ops.mean(Ops.sigmoid(head))
    }

    @Test func buffersAreReusedAcrossFrames() throws {
        let pool = TensorPool()
        let conv1 = try Conv2d(
            weight: randomTensor([16, 8, 3, 3], seed: 1, scale: 0.2), bias: randomTensor([16], seed: 2),
            stride: 2, padding: 1, activation: .leakyReLU(0.2))
        let conv2 = try Conv2d(
            weight: randomTensor([16, 16, 3, 3], seed: 3, scale: 0.2), padding: 1,
            activation: .prelu(Tensor(shape: [16], values: Array(repeating: 0.25, count: 16))))
        let up = try ConvTranspose2d(weight: randomTensor([16, 5, 4, 4], seed: 4, scale: 0.2), stride: 2, padding: 1)
        let first = frame(pool, conv1: conv1, conv2: conv2, up: up)
        let allocations = pool.allocationCount
        let bytes = pool.allocatedBytes
        #expect(allocations > 0)
        for _ in 0..<3 {
            #expect(frame(pool, conv1: conv1, conv2: conv2, up: up) == first)
        }
        #expect(pool.allocationCount == allocations)
        #expect(pool.allocatedBytes == bytes)
        #expect(pool.reuseCount > 0)
    }

    @Test func nearbyLargeSizesShareABuffer() {
        let pool = TensorPool()
        do { _ = pool.tensor([1, 70_000]) }
        do { _ = pool.tensor([1, 75_000]) }
        #expect(pool.allocationCount == 1)
        #expect(pool.reuseCount == 1)
        do { _ = pool.tensor([1, 200_000]) }
        #expect(pool.allocationCount == 2)
    }

    /// A large request takes a free buffer of up to twice its size (a network's passing buffers serve its other
    /// stages), not a smaller one, nor one more than twice its size; small requests keep their own size classes.
    @Test func largeRequestsReuseLargerFreeBuffers() {
        let pool = TensorPool()
        do { _ = pool.tensor([3 << 20]) }
        do { _ = pool.tensor([2 << 20]) }
        #expect(pool.allocationCount == 1 && pool.reuseCount == 1)
        do { _ = pool.tensor([1 << 20]) }
        #expect(pool.allocationCount == 2)
        do { _ = pool.tensor([4 << 20]) }
        #expect(pool.allocationCount == 3)
        do { _ = pool.tensor([1000]) }
        #expect(pool.allocationCount == 4)
        // The buffer goes back to its own size: the next request of that size finds it.
        let allocated = pool.allocatedBytes
        do { _ = pool.tensor([3 << 20]) }
        #expect(pool.allocationCount == 4 && pool.allocatedBytes == allocated)
    }

    @Test func channelViewsShareMemory() {
        let pool = TensorPool()
        let x = pool.tensor([1, 4, 2, 2], values: (0..<16).map(Float.init))
        let view = x.channels(1..<3)
        #expect(view.toArray() == (4..<12).map(Float.init))
        view.fill(-1)
        #expect(x.toArray()[4..<12].allSatisfy { $0 == -1 })
        #expect(x.toArray()[0] == 0 && x.toArray()[12] == 12)
        let batch = Tensor(shape: [2, 3, 1, 2], values: (0..<12).map(Float.init)).channels(1..<2)
        #expect(batch.toArray() == [2, 3, 8, 9])
    }
}
