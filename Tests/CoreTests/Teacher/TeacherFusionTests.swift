import Testing
@testable import Core

/// The teacher's grouped forward and blocked output head against the definition: full
/// logit matrices of each sequence from `Transformer.logits`, fused by `Fusion.fuse`.
@Suite("Teacher fusion in groups and vocabulary blocks, on SmolLM2")
struct TeacherFusionTests {
    /// Token ids of four sequences, their two views 1,405, 805, 305 and 105 tokens.
    static func views(vocab: Int) -> (ref: [RenderedSequence], aligned: [RenderedSequence]) {
        var state: UInt64 = 7
        func ids(_ count: Int) -> [Int32] {
            (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Int32((state >> 33) % UInt64(vocab))
            }
        }
        var ref: [RenderedSequence] = [], aligned: [RenderedSequence] = []
        for (length, prompt) in [(700, 300), (400, 150), (150, 60), (50, 20)] {
            let response = ids(length - prompt)
            ref.append(RenderedSequence(ids: ids(prompt) + response, promptLength: prompt))
            aligned.append(RenderedSequence(ids: ids(prompt + 5) + response, promptLength: prompt + 5))
        }
        return (ref, aligned)
    }

    static func expected(_ ref: ServedModel, _ aligned: ServedModel, _ views: (ref: [RenderedSequence], aligned: [RenderedSequence]),
                         lambdas: [Double], topK: Int) -> [FusedTargets] {
        var result = lambdas.map { FusedTargets(lambda: $0, topK: topK, topKIds: [], topKLogProbs: [], targetLogProbs: []) }
        for (r, a) in zip(views.ref, views.aligned) {
            let fused = Fusion.fuse(ref: ref.transformer.logits(sequences: [r.ids], rows: [r.responseRows])[0],
                                    aligned: aligned.transformer.logits(sequences: [a.ids], rows: [a.responseRows])[0],
                                    lambdas: lambdas, topK: topK, targets: Array(r.responseIDs))
            for l in lambdas.indices {
                result[l].topKIds += fused[l].topKIds
                result[l].topKLogProbs += fused[l].topKLogProbs
                result[l].targetLogProbs += fused[l].targetLogProbs
            }
        }
        return result
    }

    /// Equal within float32 noise; top-k ids equal except where two values are that close.
    static func expectClose(_ got: [FusedTargets], _ want: [FusedTargets], _ label: String) {
        for (g, w) in zip(got, want) {
            #expect(g.targetLogProbs.count == w.targetLogProbs.count, "\(label)")
            let targetDiff = zip(g.targetLogProbs, w.targetLogProbs).map { abs($0 - $1) }.max() ?? 0
            #expect(targetDiff <= 1e-4, "\(label) λ \(w.lambda): target log-prob diff \(targetDiff)")
            let mismatched = zip(zip(g.topKIds, w.topKIds), zip(g.topKLogProbs, w.topKLogProbs)).filter { ids, values in
                ids.0 != ids.1 || abs(values.0 - values.1) > 1e-4
            }
            #expect(mismatched.allSatisfy { $0.0.0 != $0.0.1 && abs($0.1.0 - $0.1.1) <= 1e-4 },
                    "\(label) λ \(w.lambda): \(mismatched.prefix(3))")
            #expect(mismatched.count <= 4, "\(label) λ \(w.lambda): \(mismatched.count) near-tie swaps")
        }
    }

    @Test("Two prompts on one model, and the shared view, match full-row fusion")
    func oneModelMatchesTheDefinition() throws {
        let model = try ServedModel(name: "smol", file: try SmolLM2ModelFile.file.get())
        let views = Self.views(vocab: model.vocabularySize)
        let lambdas = [0.5, 2.0]
        let fusion = TeacherFusion(ref: model, aligned: model, lambdas: lambdas, topK: 8)

        let (twoPrompts, timing) = fusion.run(refViews: views.ref, alignedViews: views.aligned, sharedView: false)
        Self.expectClose(twoPrompts, Self.expected(model, model, views, lambdas: lambdas, topK: 8), "two prompts")
        #expect(timing.forward > .zero && timing.fusion > .zero)

        let (shared, _) = fusion.run(refViews: views.ref, alignedViews: views.ref, sharedView: true)
        Self.expectClose(shared, Self.expected(model, model, (views.ref, views.ref), lambdas: lambdas, topK: 8), "shared view")
    }

    /// A job's targets must not depend on how the coordinator packed its records into
    /// jobs (resumed runs, a job split into single-record jobs after a failure).
    @Test("A sequence's targets are bit-identical alone and packed with others")
    func packingDoesNotChangeTheBits() throws {
        let model = try ServedModel(name: "smol", file: try SmolLM2ModelFile.file.get())
        let views = Self.views(vocab: model.vocabularySize)
        let fusion = TeacherFusion(ref: model, aligned: model, lambdas: [0.5, 2.0], topK: 8)
        let packed = fusion.run(refViews: Array(views.ref.suffix(3)), alignedViews: Array(views.aligned.suffix(3)), sharedView: false).targets
        let alone = fusion.run(refViews: [views.ref[3]], alignedViews: [views.aligned[3]], sharedView: false).targets
        let rows = views.ref[3].responseRows.count
        for (p, a) in zip(packed, alone) {
            #expect(Array(p.targetLogProbs.suffix(rows)) == a.targetLogProbs)
            #expect(Array(p.topKLogProbs.suffix(rows * 8)) == a.topKLogProbs)
            #expect(Array(p.topKIds.suffix(rows * 8)) == a.topKIds)
        }
    }

    @Test("Two models (separate forward passes) match full-row fusion")
    func twoModelsMatchTheDefinition() throws {
        let file = try SmolLM2ModelFile.file.get()
        let ref = try ServedModel(name: "ref", file: file), aligned = try ServedModel(name: "aligned", file: file)
        let views = Self.views(vocab: ref.vocabularySize)
        let fusion = TeacherFusion(ref: ref, aligned: aligned, lambdas: [-1, 3], topK: 4)
        let (got, _) = fusion.run(refViews: views.ref, alignedViews: views.aligned, sharedView: false)
        Self.expectClose(got, Self.expected(ref, aligned, views, lambdas: [-1, 3], topK: 4), "two models")
    }
}
