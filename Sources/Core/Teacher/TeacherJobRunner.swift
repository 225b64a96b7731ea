/// Runs teacher jobs on the models a worker serves: renders both views of every
/// sequence, checks what needs the models (names, tokenizers, token ids, lengths, reply
/// size) before any compute, then the forward passes and the fusion for every lambda
/// (`TeacherFusion`).
public struct TeacherJobRunner: Sendable {
    public let models: [String: ServedModel]
    /// The largest reply payload the broker takes (`message.max.bytes`).
    public let maxReplyBytes: Int

    public init(models: [String: ServedModel], maxReplyBytes: Int) {
        self.models = models
        self.maxReplyBytes = maxReplyBytes
    }

    public func run(_ job: TeacherJob) throws(JobError) -> TeacherTargets {
        try timedRun(job).targets
    }

    /// `run`, also telling how long the forward passes and the fusion took (what the
    /// worker logs, and `realign bench` reads to split a job's time).
    public func timedRun(_ job: TeacherJob) throws(JobError) -> (targets: TeacherTargets, timing: TeacherJobTiming) {
        func fail(_ code: JobErrorCode, _ message: String) -> JobError {
            JobError(code, message, jobID: job.id, replyTo: job.replyTo)
        }
        let ref = try model(named: job.ref, job: job)
        let aligned = try model(named: job.aligned, job: job)
        guard ref.tokenizer.contentSHA256 == aligned.tokenizer.contentSHA256 else {
            throw fail(.tokenizerMismatch, "models \(ref.name) and \(aligned.name) have different tokenizers (\(ref.tokenizer.contentSHA256.prefix(12)) vs \(aligned.tokenizer.contentSHA256.prefix(12)))")
        }
        try job.checkTokens(vocabularySize: min(ref.vocabularySize, aligned.vocabularySize))

        var refViews = try render(job, with: ref, systemOverride: nil)
        // With one model and no system message of its own, the aligned view is the
        // reference view: one forward pass serves both.
        let sharedView = ref === aligned && job.alignedSystem == nil
        var alignedViews = sharedView ? refViews : try render(job, with: aligned, systemOverride: job.alignedSystem)
        for index in refViews.indices {
            let sequenceID = job.sequences[index].id
            let limits = [(ref, min(ref.contextLength, job.cutoffLen ?? .max)),
                          (aligned, min(aligned.contextLength, job.cutoffLen ?? .max))]
            // Both views keep the same response tokens: truncate both by the larger excess.
            let excess = max(refViews[index].ids.count - limits[0].1, alignedViews[index].ids.count - limits[1].1)
            guard excess > 0 else { continue }
            for (view, (model, limit)) in zip([refViews[index], alignedViews[index]], limits)
            where job.cutoffLen == nil || view.promptLength + 1 > limit {
                throw fail(.tooLong, "sequence \(index) (id \"\(sequenceID)\") has \(view.ids.count) tokens (prompt \(view.promptLength)) in the view of \(model.name), over the limit of \(limit) (context \(model.contextLength)\(job.cutoffLen.map { ", cutoff_len \($0)" } ?? ""))")
            }
            refViews[index].ids.removeLast(excess)
            alignedViews[index].ids.removeLast(excess)
        }

        let metadata = TeacherTargetsMetadata(
            jobID: job.id, sequenceIDs: job.sequences.map(\.id), lambdaTags: job.lambdaTags, topK: job.topK,
            ref: ref.identity, aligned: aligned.identity, tokenizerHash: ref.tokenizer.contentSHA256)
        let tokenCount = refViews.reduce(0) { $0 + $1.ids.count }
        let rowCount = refViews.reduce(0) { $0 + $1.responseRows.count }
        let replyBytes = TeacherTargets.replyByteSize(tokens: tokenCount, responseRows: rowCount, metadata: metadata)
        guard replyBytes <= maxReplyBytes else {
            throw fail(.replyTooLarge, "the reply would take \(replyBytes) bytes (\(rowCount) response rows, \(job.lambdas.count) lambdas, top \(job.topK)), over the limit of \(maxReplyBytes)")
        }

        let fusion = TeacherFusion(ref: ref, aligned: aligned, lambdas: job.lambdas, topK: job.topK)
        let (fused, timing) = fusion.run(refViews: refViews, alignedViews: alignedViews, sharedView: sharedView)
        let perLambda = zip(job.lambdaTags, fused).map { tag, targets in
            LambdaTargets(tag: tag, topKIDs: targets.topKIds, topKLogprobs: targets.topKLogProbs,
                          targetLogprob: targets.targetLogProbs)
        }
        var inputOffsets: [Int64] = [0]
        var seqOffsets: [Int64] = [0]
        for view in refViews {
            inputOffsets.append(inputOffsets.last! + Int64(view.ids.count))
            seqOffsets.append(seqOffsets.last! + Int64(view.responseRows.count))
        }
        do {
            let targets = try TeacherTargets(
                metadata: metadata, inputIDs: refViews.flatMap(\.ids), inputOffsets: inputOffsets,
                promptLens: refViews.map { Int32($0.promptLength) }, seqOffsets: seqOffsets,
                targetIDs: refViews.flatMap(\.responseIDs), lambdas: perLambda)
            return (targets, timing)
        } catch {
            throw fail(.internal, "assembling the reply: \(error)")
        }
    }

    private func model(named name: String, job: TeacherJob) throws(JobError) -> ServedModel {
        guard let model = models[name] else {
            let served = models.keys.sorted().joined(separator: ", ")
            throw JobError(.unknownModel, "model \"\(name)\" is not served by this worker (it serves: \(served))",
                           jobID: job.id, replyTo: job.replyTo)
        }
        return model
    }

    private func render(_ job: TeacherJob, with model: ServedModel, systemOverride: String?) throws(JobError) -> [RenderedSequence] {
        let renderer = SequenceRenderer(model: model)
        var views: [RenderedSequence] = []
        for (index, sequence) in job.sequences.enumerated() {
            do {
                views.append(try renderer.render(sequence, systemOverride: systemOverride))
            } catch {
                throw JobError(error.code, "sequence \(index) (id \"\(sequence.id)\"): \(error.problem)",
                               jobID: job.id, replyTo: job.replyTo)
            }
        }
        return views
    }
}
