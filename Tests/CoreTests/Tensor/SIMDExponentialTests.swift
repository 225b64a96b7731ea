import Foundation
import Testing
@testable import Core

@Suite("SIMD exp")
struct SIMDExponentialTests {
    @Test("Within 2e-7 of libm's exp (relative) from -87 to 88.3; clamped beyond the normal range")
    func matchesLibm() {
        var worst: Double = 0
        var x: Float = -87
        while x < 88.2 {
            let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0137 })
            let got = SIMDExponential.exp(lanes)
            for lane in 0..<8 {
                let want = Foundation.exp(Double(lanes[lane]))
                worst = max(worst, abs(Double(got[lane]) - want) / want)
            }
            x += 0.1
        }
        #expect(worst <= 2e-7, "worst relative error \(worst)")
        let edges = SIMDExponential.exp(SIMD8<Float>(-1000, -88, 0, 1, -1, 89, 1000, .infinity))
        #expect(edges[0] < 1.2e-38 && edges[1] < 1.2e-38)
        #expect(edges[2] == 1)
        #expect(abs(edges[3] - Float(M_E)) <= 2e-7 * Float(M_E))
        #expect(edges[5] > 2e38 && edges[6] > 2e38 && edges[7] > 2e38 && edges[7].isFinite)
    }
}
