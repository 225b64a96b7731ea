import Foundation
import Testing
@testable import Core

/// Each op's backward pass against central finite differences of its own forward
/// kernel (float32 forward, Double objective `Σ w ⊙ y` with random `w`).
@Suite("Gradient checks of each op's backward pass")
struct OpGradientCheckTests {
    static let tolerance = 1e-3

    @Test("Linear with bias: dx = dy·W, dW = dyᵀ·x, db = Σ dy")
    func linear() {
        var generator = SplitMix64(seed: 11)
        let rows = 5, inputs = 7, outputs = 6
        let x = GradientCheck.random(rows * inputs, &generator)
        let weight = Matrix(rows: outputs, cols: inputs, values: GradientCheck.random(outputs * inputs, &generator))
        let bias = GradientCheck.random(outputs, &generator)
        let w = GradientCheck.random(rows * outputs, &generator)
        func objective(x: [Float], weight: Matrix, bias: [Float]) -> Double {
            var y = [Float](repeating: 0, count: rows * outputs)
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { Linear.apply(xp.baseAddress!, rows: rows, weight: weight, bias: bias, into: $0.baseAddress!) }
            }
            return GradientCheck.weightedSum(y, w)
        }
        var dx = [Float](repeating: 0, count: rows * inputs)
        var dW = Matrix(zeros: outputs, inputs)
        var db = [Float](repeating: 0, count: outputs)
        w.withUnsafeBufferPointer { dy in
            x.withUnsafeBufferPointer { xp in
                dx.withUnsafeMutableBufferPointer {
                    LinearBackward.inputGradient(dy.baseAddress!, rows: rows, weight: weight, into: $0.baseAddress!, accumulate: false)
                }
                LinearBackward.accumulateWeightGradient(dy.baseAddress!, x: xp.baseAddress!, rows: rows, into: &dW)
            }
            LinearBackward.accumulateBiasGradient(dy.baseAddress!, rows: rows, into: &db)
        }
        let nx = GradientCheck.numerical(x) { objective(x: $0, weight: weight, bias: bias) }
        let nW = GradientCheck.numerical(weight.values) { objective(x: x, weight: Matrix(rows: outputs, cols: inputs, values: $0), bias: bias) }
        let nb = GradientCheck.numerical(bias) { objective(x: x, weight: weight, bias: $0) }
        #expect(GradientCheck.relativeError(analytic: dx, numerical: nx) <= Self.tolerance)
        #expect(GradientCheck.relativeError(analytic: dW.values, numerical: nW) <= Self.tolerance)
        #expect(GradientCheck.relativeError(analytic: db, numerical: nb) <= Self.tolerance)
        // Accumulation adds to what the gradients hold.
        var twice = dW
        w.withUnsafeBufferPointer { dy in
            x.withUnsafeBufferPointer { LinearBackward.accumulateWeightGradient(dy.baseAddress!, x: $0.baseAddress!, rows: rows, into: &twice) }
        }
        #expect(maxAbsDifference(twice.values, dW.values.map { 2 * $0 }) <= 1e-6)
    }

    @Test("RMSNorm: input and weight gradients, added to what dx holds")
    func rmsNorm() {
        var generator = SplitMix64(seed: 12)
        let rows = 4, width = 12
        let eps: Float = 1e-5
        let x = GradientCheck.random(rows * width, &generator, in: -2...2)
        let weight = GradientCheck.random(width, &generator, in: 0.5...1.5)
        let w = GradientCheck.random(rows * width, &generator)
        func objective(x: [Float], weight: [Float]) -> Double {
            var y = [Float](repeating: 0, count: rows * width)
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer {
                    ElementWise.rmsNorm(xp.baseAddress!, rows: rows, width: width, weight: weight, eps: eps, into: $0.baseAddress!)
                }
            }
            return GradientCheck.weightedSum(y, w)
        }
        let residual = GradientCheck.random(rows * width, &generator)
        var dx = residual
        var dWeight: [Float]? = [Float](repeating: 0, count: width)
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { dy in
                dx.withUnsafeMutableBufferPointer {
                    RMSNormBackward.run(x: xp.baseAddress!, dy: dy.baseAddress!, rows: rows, width: width, weight: weight, eps: eps,
                                        accumulatingInto: $0.baseAddress!, weightGradient: &dWeight)
                }
            }
        }
        let inputGradient = zip(dx, residual).map { $0 - $1 }
        let nx = GradientCheck.numerical(x, epsilon: 1e-3) { objective(x: $0, weight: weight) }
        let nw = GradientCheck.numerical(weight, epsilon: 1e-3) { objective(x: x, weight: $0) }
        #expect(GradientCheck.relativeError(analytic: inputGradient, numerical: nx) <= Self.tolerance)
        #expect(GradientCheck.relativeError(analytic: dWeight!, numerical: nw) <= Self.tolerance)
    }

    @Test("RoPE: the backward pass is the inverse rotation")
    func rope() {
        var generator = SplitMix64(seed: 13)
        let headDim = 8, heads = 3, rows = 6
        let rotary = RotaryEmbedding(headDim: headDim, theta: 10000, positions: 32)
        let positions = [0, 1, 2, 3, 0, 17]
        let x = GradientCheck.random(rows * heads * headDim, &generator)
        let w = GradientCheck.random(rows * heads * headDim, &generator)
        let dx = GradientCheck.withPointer(w) { rotary.apply($0, rows: rows, heads: heads, positionOfRow: positions, inverse: true) }
        let numerical = GradientCheck.numerical(x) { x in
            GradientCheck.weightedSum(GradientCheck.withPointer(x) { rotary.apply($0, rows: rows, heads: heads, positionOfRow: positions) }, w)
        }
        #expect(GradientCheck.relativeError(analytic: dx, numerical: numerical) <= Self.tolerance)
        // Rotating forward then back returns the input.
        let roundTrip = GradientCheck.withPointer(GradientCheck.withPointer(x) {
            rotary.apply($0, rows: rows, heads: heads, positionOfRow: positions)
        }) { rotary.apply($0, rows: rows, heads: heads, positionOfRow: positions, inverse: true) }
        #expect(maxAbsDifference(roundTrip, x) <= 1e-6)
    }

    @Test("Causal GQA attention over a batch of two sequences: dq, dk, dv")
    func attention() {
        let batch = TokenBatch(sequences: [[1, 2, 3, 4, 5], [6, 7, 8]])
        let probabilities = Self.checkAttention(batch: batch, seed: 14, sampled: nil)
        // Each kept row is a causal distribution, at the documented offset.
        let attention = CausalAttention(heads: 4, kvHeads: 2, headDim: 4)
        #expect(probabilities.count == 4 * (25 + 9) && attention.probabilityCount(batch: batch) == probabilities.count)
        let second = attention.probabilityOffset(batch: batch, sequence: 1, head: 3)
        #expect(second == 4 * 25 + 3 * 9)
        #expect(abs(probabilities[second + 3 + 0] + probabilities[second + 3 + 1] - 1) <= 1e-6 && probabilities[second + 3 + 2] == 0)
    }

    @Test("Causal attention over 70 rows: probabilities kept across query blocks of 64")
    func attentionAcrossBlocks() {
        let length = CausalAttention.blockRows + 6
        let batch = TokenBatch(sequences: [(0..<length).map(Int32.init)])
        let probabilities = Self.checkAttention(batch: batch, seed: 18, sampled: 60)
        for head in 0..<4 {
            for row in [0, 63, 64, 69] {
                let start = head * length * length + row * length
                let kept = probabilities[start..<start + length]
                #expect(abs(kept.prefix(row + 1).reduce(0, +) - 1) <= 1e-5 && kept.dropFirst(row + 1).allSatisfy { $0 == 0 },
                        "head \(head) row \(row)")
            }
        }
    }

    /// Checks dq, dk, dv of 4 query heads over 2 key/value heads (head size 4) on
    /// `batch` against finite differences (on `sampled` random indices of each input,
    /// or all of them) and returns the kept probabilities.
    static func checkAttention(batch: TokenBatch, seed: UInt64, sampled: Int?) -> [Float] {
        var generator = SplitMix64(seed: seed)
        let attention = CausalAttention(heads: 4, kvHeads: 2, headDim: 4)
        let rows = batch.rowCount
        let queryWidth = 16, keyWidth = 8
        let q = GradientCheck.random(rows * queryWidth, &generator, in: -2...2)
        let k = GradientCheck.random(rows * keyWidth, &generator, in: -2...2)
        let v = GradientCheck.random(rows * keyWidth, &generator)
        let w = GradientCheck.random(rows * queryWidth, &generator)
        func output(q: [Float], k: [Float], v: [Float], probabilities: UnsafeMutablePointer<Float>? = nil) -> [Float] {
            var out = [Float](repeating: 0, count: rows * queryWidth)
            q.withUnsafeBufferPointer { qp in
                k.withUnsafeBufferPointer { kp in
                    v.withUnsafeBufferPointer { vp in
                        out.withUnsafeMutableBufferPointer {
                            attention.run(batch: batch, q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!,
                                          output: $0.baseAddress!, probabilities: probabilities)
                        }
                    }
                }
            }
            return out
        }
        let probabilities = ScratchBuffer(count: attention.probabilityCount(batch: batch))
        let plain = output(q: q, k: k, v: v)
        #expect(output(q: q, k: k, v: v, probabilities: probabilities.pointer) == plain)

        let dq = ScratchBuffer(count: rows * queryWidth), dk = ScratchBuffer(count: rows * keyWidth), dv = ScratchBuffer(count: rows * keyWidth)
        q.withUnsafeBufferPointer { qp in
            k.withUnsafeBufferPointer { kp in
                v.withUnsafeBufferPointer { vp in
                    w.withUnsafeBufferPointer { dout in
                        AttentionBackward(attention: attention).run(
                            batch: batch, q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!,
                            probabilities: probabilities.pointer, outputGradient: dout.baseAddress!,
                            dq: dq.pointer, dk: dk.pointer, dv: dv.pointer)
                    }
                }
            }
        }
        // Sampled indices: every other one from the last tenth of the rows (for 70 rows,
        // the second query block), the rest from anywhere.
        func indices(_ count: Int) -> [Int]? {
            sampled.map { n in
                (0..<n).map { j in
                    let random = Int(generator.next() % UInt64(count))
                    return j % 2 == 0 ? random : count - 1 - random % max(1, count / 10)
                }
            }
        }
        let nq = GradientCheck.numerical(q, epsilon: 1e-3, indices: indices(q.count)) { GradientCheck.weightedSum(output(q: $0, k: k, v: v), w) }
        let nk = GradientCheck.numerical(k, epsilon: 1e-3, indices: indices(k.count)) { GradientCheck.weightedSum(output(q: q, k: $0, v: v), w) }
        let nv = GradientCheck.numerical(v, epsilon: 1e-3, indices: indices(v.count)) { GradientCheck.weightedSum(output(q: q, k: k, v: $0), w) }
        #expect(GradientCheck.relativeError(analytic: dq.array, numerical: nq) <= Self.tolerance)
        #expect(GradientCheck.relativeError(analytic: dk.array, numerical: nk) <= Self.tolerance)
        #expect(GradientCheck.relativeError(analytic: dv.array, numerical: nv) <= Self.tolerance)
        return probabilities.array
    }

    @Test("SwiGLU: gate and up gradients")
    func swiGLU() {
        var generator = SplitMix64(seed: 15)
        let rows = 3, width = 10
        let gate = GradientCheck.random(rows * width, &generator, in: -4...4)
        let up = GradientCheck.random(rows * width, &generator, in: -2...2)
        let w = GradientCheck.random(rows * width, &generator)
        func objective(gate: [Float], up: [Float]) -> Double {
            var out = [Float](repeating: 0, count: rows * width)
            gate.withUnsafeBufferPointer { g in
                up.withUnsafeBufferPointer { u in
                    out.withUnsafeMutableBufferPointer {
                        ElementWise.siluGate(g.baseAddress!, up: u.baseAddress!, rows: rows, width: width, into: $0.baseAddress!)
                    }
                }
            }
            return GradientCheck.weightedSum(out, w)
        }
        let dGate = ScratchBuffer(count: rows * width), dUp = ScratchBuffer(count: rows * width)
        gate.withUnsafeBufferPointer { g in
            up.withUnsafeBufferPointer { u in
                w.withUnsafeBufferPointer { dout in
                    SwiGLUBackward.run(gate: g.baseAddress!, up: u.baseAddress!, outputGradient: dout.baseAddress!, rows: rows, width: width,
                                       gateGradient: dGate.pointer, upGradient: dUp.pointer)
                }
            }
        }
        let ng = GradientCheck.numerical(gate, epsilon: 1e-3) { objective(gate: $0, up: up) }
        let nu = GradientCheck.numerical(up, epsilon: 1e-3) { objective(gate: gate, up: $0) }
        #expect(GradientCheck.relativeError(analytic: dGate.array, numerical: ng) <= Self.tolerance)
        #expect(GradientCheck.relativeError(analytic: dUp.array, numerical: nu) <= Self.tolerance)
    }

    @Test("Embedding: rows of repeated tokens collect every use")
    func embedding() {
        var generator = SplitMix64(seed: 16)
        let vocab = 6, width = 5
        let tokens: [Int32] = [2, 0, 2, 5, 2]
        let table = GradientCheck.random(vocab * width, &generator)
        let w = GradientCheck.random(tokens.count * width, &generator)
        var gradient = Matrix(zeros: vocab, width)
        w.withUnsafeBufferPointer { EmbeddingLookup.scatterAdd(tokens, rowGradients: $0.baseAddress!, into: &gradient) }
        let numerical = GradientCheck.numerical(table) { table in
            let rows = GradientCheck.withPointer([Float](repeating: 0, count: tokens.count * width)) {
                EmbeddingLookup.gather(tokens, table: .dense(Matrix(rows: vocab, cols: width, values: table)), into: $0)
            }
            return GradientCheck.weightedSum(rows, w)
        }
        #expect(GradientCheck.relativeError(analytic: gradient.values, numerical: numerical) <= Self.tolerance)
        let expectedRow2 = (0..<width).map { w[$0] + w[2 * width + $0] + w[4 * width + $0] }
        #expect(maxAbsDifference(Array(gradient.values[2 * width..<3 * width]), expectedRow2) <= 1e-6)
        #expect(gradient.values[width..<2 * width].allSatisfy { $0 == 0 })
    }

    @Test("Log-softmax with forward KL, reverse KL and cross-entropy: logit gradients")
    func logitLosses() {
        var generator = SplitMix64(seed: 17)
        let rows = 3, vocab = 9
        let logits = Matrix(rows: rows, cols: vocab, values: GradientCheck.random(rows * vocab, &generator, in: -3...3))
        let teacherLogits = Matrix(rows: rows, cols: vocab, values: GradientCheck.random(rows * vocab, &generator, in: -3...3))
        let teacher = Fusion.fusedLogProbs(ref: teacherLogits, aligned: teacherLogits, lambda: 0)
        let targets: [Int32] = [4, 0, 8]
        typealias Loss = (Matrix) -> LogitLoss
        let losses: [(String, Loss)] = [
            ("forward KL", { TrainingLoss.kl(studentLogits: $0, teacherLogProbs: teacher, direction: .forward) }),
            ("reverse KL", { TrainingLoss.kl(studentLogits: $0, teacherLogProbs: teacher, direction: .reverse) }),
            ("cross-entropy", { TrainingLoss.crossEntropy(studentLogits: $0, targets: targets) }),
            ("forward KL over 7 tokens", { TrainingLoss.kl(studentLogits: $0, teacherLogProbs: teacher, direction: .forward, meanOver: 7) }),
        ]
        for (name, loss) in losses {
            let analytic = loss(logits)
            #expect(abs(analytic.mean - analytic.perRow.reduce(0, +) / Double(name.hasSuffix("7 tokens") ? 7 : rows)) <= 1e-12)
            let numerical = GradientCheck.numerical(logits.values, epsilon: 1e-3) {
                loss(Matrix(rows: rows, cols: vocab, values: $0)).mean
            }
            let error = GradientCheck.relativeError(analytic: analytic.logitGradient.values, numerical: numerical)
            #expect(error <= 1e-4, "\(name): relative error \(error)")
        }
        // KL of a distribution with itself is zero, with zero gradient.
        let same = TrainingLoss.kl(studentLogits: teacherLogits, teacherLogProbs: teacher, direction: .reverse)
        #expect(abs(same.mean) <= 1e-7 && same.logitGradient.values.allSatisfy { abs($0) <= 1e-7 })
        // Cross-entropy of row 0 is −log p(target) by hand.
        let row = logits.values[0..<vocab].map(Double.init)
        let expected = log(row.reduce(0) { $0 + exp($1) }) - row[4]
        #expect(abs(TrainingLoss.crossEntropy(studentLogits: logits, targets: targets).perRow[0] - expected) <= 1e-9)
    }
}
