/// The forward passes and the fusion of one teacher job, in bounded memory: the
/// sequences go through the models in groups of about `groupTokens` tokens, and each
/// group's output head runs a block of `headColumns` vocabulary entries at a time,
/// straight into the fusion (`FusionAccumulator`). So a worker holds one group's
/// activations and one block of logits per view, never a logit matrix of every response
/// row (at 49,152 entries a row, a job's would be several times the weights).
struct TeacherFusion {
    /// Tokens of one group's forward pass, both views together: enough rows for the
    /// products to run at sgemm speed, few enough that the activations stay small.
    static let groupTokens = 1024
    /// Vocabulary entries per block of the output head. Wide enough that OpenBLAS never
    /// takes a block's product for a small one: it has other kernels for those, which
    /// sum in another order, and a row's targets would then depend on how many rows its
    /// group has - on how the records were packed into jobs (a resumed run packs them
    /// anew and must write the same bytes). A block of logits is 8 KB a row.
    static let headColumns = 2048

    let ref: ServedModel
    let aligned: ServedModel
    let lambdas: [Double]
    let topK: Int

    /// The targets per λ of `refViews` (each view's response rows, in order) fused with
    /// `alignedViews`, and the time of the forward passes (output head included) and of
    /// the fusion. `sharedView`: the aligned view is the reference view, one pass serves both.
    func run(refViews: [RenderedSequence], alignedViews: [RenderedSequence], sharedView: Bool)
        -> (targets: [FusedTargets], timing: TeacherJobTiming)
    {
        let vocab = ref.transformer.weights.outputHead.rows
        precondition(aligned.transformer.weights.outputHead.rows == vocab, "the two models' vocabularies differ")
        var targets = lambdas.map { FusedTargets(lambda: $0, topK: topK, topKIds: [], topKLogProbs: [], targetLogProbs: []) }
        var timing = TeacherJobTiming(forward: .zero, fusion: .zero)
        let clock = ContinuousClock()
        for group in groups(refViews: refViews, alignedViews: alignedViews, sharedView: sharedView) {
            let groupRef = group.map { refViews[$0] }
            let groupAligned = group.map { alignedViews[$0] }
            let rows = groupRef.reduce(0) { $0 + $1.responseRows.count }
            guard rows > 0 else { continue }
            var inputs = HeadInputs(stacked: Matrix(zeros: 0, 0), alignedModel: nil)
            timing.forward += clock.measure { inputs = headInputs(groupRef, groupAligned, sharedView: sharedView) }
            let accumulator = FusionAccumulator(rows: rows, vocab: vocab, lambdas: lambdas, topK: topK,
                                                targets: groupRef.flatMap(\.responseIDs))
            let stackedRows = inputs.stacked.rows
            let block = ScratchBuffer(count: stackedRows * Self.headColumns)
            let alignedModelBlock = inputs.alignedModel.map { _ in ScratchBuffer(count: rows * Self.headColumns) }
            for first in stride(from: 0, to: vocab, by: Self.headColumns) {
                let columns = first..<min(vocab, first + Self.headColumns)
                timing.forward += clock.measure {
                    inputs.stacked.values.withUnsafeBufferPointer {
                        ref.transformer.headLogits($0.baseAddress!, rows: stackedRows, columns: columns, into: block.pointer)
                    }
                    if let alignedModel = inputs.alignedModel, let alignedModelBlock {
                        alignedModel.values.withUnsafeBufferPointer {
                            aligned.transformer.headLogits($0.baseAddress!, rows: rows, columns: columns, into: alignedModelBlock.pointer)
                        }
                    }
                }
                // The aligned view's rows: the other model's block, the second half of the
                // stacked block, or (one view) the reference rows themselves.
                let alignedRows = alignedModelBlock?.pointer
                    ?? (stackedRows > rows ? block.pointer + rows * columns.count : block.pointer)
                timing.fusion += clock.measure {
                    accumulator.absorb(ref: block.pointer, aligned: alignedRows, rowStride: columns.count, columns: columns)
                }
            }
            timing.fusion += clock.measure {
                for (l, fused) in accumulator.finish().enumerated() {
                    targets[l].topKIds += fused.topKIds
                    targets[l].topKLogProbs += fused.topKLogProbs
                    targets[l].targetLogProbs += fused.targetLogProbs
                }
            }
        }
        return (targets, timing)
    }

    /// Consecutive sequences, as few groups as keep each under `groupTokens` (both
    /// views' tokens; a longer sequence is a group of its own).
    private func groups(refViews: [RenderedSequence], alignedViews: [RenderedSequence], sharedView: Bool) -> [[Int]] {
        var groups: [[Int]] = []
        var current: [Int] = []
        var tokens = 0
        for index in refViews.indices {
            let cost = refViews[index].ids.count + (sharedView ? 0 : alignedViews[index].ids.count)
            if !current.isEmpty && tokens + cost > Self.groupTokens {
                groups.append(current)
                current = []
                tokens = 0
            }
            current.append(index)
            tokens += cost
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }

    /// A group's output-head inputs at the response rows: `stacked` is the reference
    /// view's rows and, with one model and two prompts, the aligned view's rows after
    /// them, so one head product over them reads each weight once for both views;
    /// `alignedModel` the aligned view's rows when a second model computes it.
    private struct HeadInputs {
        var stacked: Matrix
        var alignedModel: Matrix?
    }

    /// Both views' head inputs. With one model and two prompts, both views go through
    /// the layers in one batch, so each weight is read once.
    private func headInputs(_ refViews: [RenderedSequence], _ alignedViews: [RenderedSequence], sharedView: Bool) -> HeadInputs {
        func inputs(_ model: ServedModel, _ views: [RenderedSequence]) -> Matrix {
            model.transformer.headInputs(sequences: views.map(\.ids), rows: views.map(\.responseRows))
        }
        if sharedView { return HeadInputs(stacked: inputs(ref, refViews), alignedModel: nil) }
        if ref === aligned { return HeadInputs(stacked: inputs(ref, refViews + alignedViews), alignedModel: nil) }
        return HeadInputs(stacked: inputs(ref, refViews), alignedModel: inputs(aligned, alignedViews))
    }
}
