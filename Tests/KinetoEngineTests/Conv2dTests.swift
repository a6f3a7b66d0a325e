import KinetoEngine
import Testing

@Suite struct Conv2dTests {
    @Test(arguments: [
        // cin, cout, k, stride, padding, dilation, groups, h, w
        (5, 7, 3, 1, 1, 1, 1, 13, 17), (6, 8, 3, 2, 1, 1, 1, 15, 16), (12, 5, 1, 1, 0, 1, 1, 9, 11),
        (4, 6, 3, 1, 2, 2, 1, 12, 12), (8, 6, 3, 1, 1, 1, 2, 10, 9), (3, 4, 5, 4, 2, 1, 1, 21, 18),
        (16, 16, 3, 1, 1, 1, 1, 40, 40),
        // depthwise (direct path): 3×3, 5×5 stride 2 (BlazeFace), dilated
        (8, 8, 3, 1, 1, 1, 8, 12, 13), (6, 6, 5, 2, 2, 1, 6, 17, 16), (4, 4, 3, 1, 2, 2, 4, 9, 10),
    ])
    func matchesDirectConvolution(_ p: (Int, Int, Int, Int, Int, Int, Int, Int, Int)) {
        let (cin, cout, k, stride, padding, dilation, groups, h, w) = p
        let x = randomTensor([2, cin, h, w], seed: 1)
        let weight = randomTensor([cout, cin / groups, k, k], seed: 2, scale: 0.3)
        let bias = randomTensor([cout], seed: 3)
        let y = Ops.conv2d(
            x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
            groups: groups)
        let reference = naiveConv2d(
            x, weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        #expect(y.shape == reference.shape)
        #expect(maxAbsDifference(y, reference) < 1e-4)
    }

    @Test func writesIntoChannelViewOfLargerTensor() {
        let x = randomTensor([1, 4, 9, 7], seed: 4)
        let weight = randomTensor([3, 4, 3, 3], seed: 5)
        let buffer = Tensor(zeros: [1, 8, 9, 7])
        _ = Ops.conv2d(x, weight: weight, padding: 1, out: buffer.channels(2..<5))
        let reference = naiveConv2d(x, weight, nil, stride: 1, padding: 1, dilation: 1, groups: 1)
        #expect(maxAbsDifference(buffer.channels(2..<5).contiguousCopy(), reference) < 1e-4)
        #expect(buffer.channels(0..<2).toArray().allSatisfy { $0 == 0 })
        #expect(buffer.channels(5..<8).toArray().allSatisfy { $0 == 0 })
    }
}
