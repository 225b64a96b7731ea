import Foundation

/// Where training sequences come from.
public enum TrainingData {
    /// The sequences of a teacher output directory, exactly as the fleet rendered them
    /// (its `input_ids`, `prompt_lens`, `seq_offsets`), each with the top-k rows of the
    /// λ tagged `lambdaTag`; the first `limit` sequences when given. Shards are read in
    /// the manifest's order, which is dataset order.
    public static func teacherOutput(directory: String, lambdaTag: String?, limit: Int? = nil) throws(TrainingDataError) -> [TrainingSequence] {
        let manifest: TeacherOutputManifest
        do {
            manifest = try TeacherOutputManifest.read(directory: directory)
        } catch {
            throw TrainingDataError(source: directory, problem: "\(error)")
        }
        if let lambdaTag, !manifest.lambdaTags.contains(lambdaTag) {
            throw TrainingDataError(source: directory + "/" + TeacherOutputManifest.fileName,
                                    problem: "no targets for lambda \(lambdaTag); the run has \(manifest.lambdaTags.joined(separator: ", "))")
        }
        let maximum = limit ?? Int.max
        var sequences: [TrainingSequence] = []
        for shard in manifest.shards where sequences.count < maximum {
            let path = directory + "/" + shard.file
            let targets: TeacherTargets
            do {
                targets = try TeacherTargets(safetensors: SafetensorsFile(path: path))
            } catch {
                throw TrainingDataError(source: path, problem: "\(error)")
            }
            let lambda = lambdaTag.flatMap { tag in targets.lambdas.first { $0.tag == tag } }
            let k = targets.metadata.topK
            for s in 0..<min(targets.sequenceCount, maximum - sequences.count) {
                let tokens = Int(targets.inputOffsets[s])..<Int(targets.inputOffsets[s + 1])
                let rows = Int(targets.seqOffsets[s])..<Int(targets.seqOffsets[s + 1])
                let topK = lambda.map {
                    TopKRows(k: k, ids: Array($0.topKIDs[(rows.lowerBound * k)..<(rows.upperBound * k)]),
                             logProbs: Array($0.topKLogprobs[(rows.lowerBound * k)..<(rows.upperBound * k)]))
                }
                sequences.append(TrainingSequence(
                    id: targets.metadata.sequenceIDs[s], ids: Array(targets.inputIDs[tokens]),
                    promptLength: Int(targets.promptLens[s]), teacherTopK: topK))
            }
        }
        guard !sequences.isEmpty else { throw TrainingDataError(source: directory, problem: "the teacher output has no sequences") }
        return sequences
    }

    /// Dataset records rendered for training: the student's view with `student`'s chat
    /// template, and, when `aligned` is given, the aligned view with `aligned`'s template
    /// and `alignedSystem` (online TrRa). Pre-tokenized records need no renderer and have
    /// no separate aligned view. Every sequence must fit in `maxLength` tokens.
    public static func rendered(
        _ records: [SequenceInput], source: String, student: SequenceRenderer?, aligned: SequenceRenderer?,
        alignedSystem: String?, maxLength: Int
    ) throws(TrainingDataError) -> [TrainingSequence] {
        var sequences: [TrainingSequence] = []
        for (index, record) in records.enumerated() {
            func fail(_ problem: String) -> TrainingDataError {
                TrainingDataError(source: source, problem: "record \(index) (id \"\(record.id)\"): \(problem)")
            }
            do {
                try record.check()
            } catch {
                throw fail(error.problem)
            }
            let studentView: RenderedSequence
            var alignedView: RenderedSequence?
            do {
                if case .tokens(_, let ids, let promptLength) = record {
                    guard alignedSystem == nil else { throw fail("--aligned-system applies to text records, not input_ids") }
                    studentView = RenderedSequence(ids: ids, promptLength: promptLength)
                } else {
                    guard let student else { throw fail("a text record needs a student with a tokenizer and a chat template") }
                    studentView = try student.render(record, systemOverride: nil)
                    if let aligned, alignedSystem != nil || aligned.model !== student.model {
                        alignedView = try aligned.render(record, systemOverride: alignedSystem)
                    }
                }
            } catch let error as SequenceProblem {
                throw fail(error.problem)
            } catch let error as TrainingDataError {
                throw error
            } catch {
                throw fail("\(error)")
            }
            for view in [studentView] + (alignedView.map { [$0] } ?? []) where view.ids.count > maxLength {
                throw fail("\(view.ids.count) tokens, over the limit of \(maxLength)")
            }
            guard studentView.promptLength >= 1, studentView.promptLength < studentView.ids.count else {
                throw fail("prompt length \(studentView.promptLength) leaves no response in \(studentView.ids.count) tokens")
            }
            sequences.append(TrainingSequence(id: record.id, ids: studentView.ids, promptLength: studentView.promptLength,
                                              alignedView: alignedView))
        }
        guard !sequences.isEmpty else { throw TrainingDataError(source: source, problem: "no records") }
        return sequences
    }

    /// The SHA-256 of the sequences' ids, token ids and prompt lengths, recorded in a
    /// checkpoint so that `--resume` refuses different data.
    public static func fingerprint(_ sequences: [TrainingSequence]) -> String {
        var bytes: [UInt8] = []
        for sequence in sequences {
            bytes += Array(sequence.id.utf8) + [0]
            withUnsafeBytes(of: Int64(sequence.promptLength).littleEndian) { bytes += $0 }
            withUnsafeBytes(of: Int64(sequence.ids.count).littleEndian) { bytes += $0 }
            for id in sequence.ids { withUnsafeBytes(of: id.littleEndian) { bytes += $0 } }
        }
        return SHA256.hex(bytes)
    }
}
