/// The forward passes and the fusion of one teacher job, in bounded memory: each
/// sequence (its two views together) goes through the models on its own, and its output
/// head runs a block of `headColumns` vocabulary entries at a time, straight into the
/// fusion (`FusionAccumulator`). So a worker holds one sequence's activations and one
/// block of logits per view, never a logit matrix of every response row (at 49,152
/// entries a row, a job's would be several times the weights). A sequence alone, not
/// packed with its neighbours into one product: OpenBLAS's Haswell / Zen sgemm sums a row
/// in an order that depends on its position in a product, so a sequence's targets would
/// otherwise depend on which records the coordinator packed into its job.
struct TeacherFusion {
    /// Vocabulary entries per block of the output head: a block of logits is 2 KB a row,
    /// 2 MB for the two views of a 512-token sequence (at 2,048 entries it was four
    /// times that, a job's largest allocation), and wide enough for sgemm speed.
    static let headColumns = 512

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
        for (refView, alignedView) in zip(refViews, alignedViews) {
            let rows = refView.responseRows.count
            guard rows > 0 else { continue }
            var inputs = HeadInputs(stacked: Matrix(zeros: 0, 0), alignedModel: nil)
            timing.forward += clock.measure { inputs = headInputs(refView, alignedView, sharedView: sharedView) }
            let accumulator = FusionAccumulator(rows: rows, vocab: vocab, lambdas: lambdas, topK: topK,
                                                targets: Array(refView.responseIDs))
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

    /// A sequence's output-head inputs at the response rows: `stacked` is the reference
    /// view's rows and, with one model and two prompts, the aligned view's rows after
    /// them, so one head product over them reads each weight once for both views;
    /// `alignedModel` the aligned view's rows when a second model computes it.
    private struct HeadInputs {
        var stacked: Matrix
        var alignedModel: Matrix?
    }

    /// Both views' head inputs. With one model and two prompts, both views go through
    /// the layers in one batch, so each weight is read once.
    private func headInputs(_ refView: RenderedSequence, _ alignedView: RenderedSequence, sharedView: Bool) -> HeadInputs {
        func inputs(_ model: ServedModel, _ views: [RenderedSequence]) -> Matrix {
            model.transformer.headInputs(sequences: views.map(\.ids), rows: views.map(\.responseRows))
        }
        if sharedView { return HeadInputs(stacked: inputs(ref, [refView]), alignedModel: nil) }
        if ref === aligned { return HeadInputs(stacked: inputs(ref, [refView, alignedView]), alignedModel: nil) }
        return HeadInputs(stacked: inputs(ref, [refView]), alignedModel: inputs(aligned, [alignedView]))
    }
}
