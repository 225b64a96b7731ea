/// Teacher targets in their wire form: the safetensors tensors and metadata that
/// ARCHITECTURE.md's "Topics and messages" lists (readable with
/// `safetensors.numpy.load(payload)`).
extension TeacherTargets {
    public static let contentType = "application/x-safetensors"

    /// The tensor layout for these counts, by name, dtype and shape.
    static func descriptors(tokens: Int, responseRows: Int, sequences: Int, lambdaTags: [String],
                            topK: Int) -> [SafetensorsWriter.TensorDescriptor] {
        var descriptors: [SafetensorsWriter.TensorDescriptor] = [
            .init(name: "input_ids", dtype: .i32, shape: [tokens]),
            .init(name: "input_offsets", dtype: .i64, shape: [sequences + 1]),
            .init(name: "prompt_lens", dtype: .i32, shape: [sequences]),
            .init(name: "seq_offsets", dtype: .i64, shape: [sequences + 1]),
            .init(name: "target_ids", dtype: .i32, shape: [responseRows]),
        ]
        for tag in lambdaTags {
            descriptors.append(.init(name: LambdaTag.topKIDsName(tag), dtype: .i32, shape: [responseRows, topK]))
            descriptors.append(.init(name: LambdaTag.topKLogprobsName(tag), dtype: .f32, shape: [responseRows, topK]))
            descriptors.append(.init(name: LambdaTag.targetLogprobName(tag), dtype: .f32, shape: [responseRows]))
        }
        return descriptors
    }

    /// The exact byte size of the serialised targets (header included) for these counts
    /// and this metadata, known before any compute, so a worker can refuse a job with
    /// `reply_too_large` and a coordinator can size its jobs. Data costs `4 N + 16 (S + 1)
    /// + 4 S + 4 T` plus `(8 k + 4) T` per lambda; the rest is the header.
    public static func replyByteSize(tokens: Int, responseRows: Int, metadata: TeacherTargetsMetadata) -> Int {
        SafetensorsWriter.serializedSize(
            of: descriptors(tokens: tokens, responseRows: responseRows, sequences: metadata.sequenceIDs.count,
                            lambdaTags: metadata.lambdaTags, topK: metadata.topK),
            metadata: metadata.safetensorsMetadata)
    }

    public func serialized() -> [UInt8] {
        var writer = SafetensorsWriter(metadata: metadata.safetensorsMetadata)
        // Names are unique and shapes follow from the checked counts, so adding cannot fail.
        do {
            try writer.add("input_ids", shape: [tokenCount], int32: inputIDs)
            try writer.add("input_offsets", shape: [sequenceCount + 1], int64: inputOffsets)
            try writer.add("prompt_lens", shape: [sequenceCount], int32: promptLens)
            try writer.add("seq_offsets", shape: [sequenceCount + 1], int64: seqOffsets)
            try writer.add("target_ids", shape: [rowCount], int32: targetIDs)
            for lambda in lambdas {
                try writer.add(LambdaTag.topKIDsName(lambda.tag), shape: [rowCount, metadata.topK], int32: lambda.topKIDs)
                try writer.add(LambdaTag.topKLogprobsName(lambda.tag), shape: [rowCount, metadata.topK], float32: lambda.topKLogprobs)
                try writer.add(LambdaTag.targetLogprobName(lambda.tag), shape: [rowCount], float32: lambda.targetLogprob)
            }
        } catch {
            preconditionFailure("teacher targets failed their own layout: \(error)")
        }
        return writer.serialized()
    }

    /// Reads targets back from a reply payload or shard file, checking shapes and offsets.
    public init(safetensors file: SafetensorsFile) throws(TeacherTargetsError) {
        let source = file.path
        do {
            let metadata = try TeacherTargetsMetadata(safetensorsMetadata: file.metadata, source: source)
            let expected = Self.descriptors(tokens: try file.info("input_ids").elementCount,
                                            responseRows: try file.info("target_ids").elementCount,
                                            sequences: metadata.sequenceIDs.count,
                                            lambdaTags: metadata.lambdaTags, topK: metadata.topK)
            for descriptor in expected {
                let info = try file.info(descriptor.name)
                guard info.dtype == descriptor.dtype, info.shape == descriptor.shape else {
                    throw TeacherTargetsError(source: source, "tensor \(descriptor.name) is \(info.dtype.rawValue) \(info.shape), expected \(descriptor.dtype.rawValue) \(descriptor.shape)")
                }
            }
            guard file.tensors.count == expected.count else {
                let extra = Set(file.tensors.keys).subtracting(expected.map(\.name)).sorted()
                throw TeacherTargetsError(source: source, "unexpected tensors \(extra)")
            }
            try self.init(
                metadata: metadata,
                inputIDs: try file.int32s("input_ids"), inputOffsets: try file.int64s("input_offsets"),
                promptLens: try file.int32s("prompt_lens"), seqOffsets: try file.int64s("seq_offsets"),
                targetIDs: try file.int32s("target_ids"),
                lambdas: try metadata.lambdaTags.map { (tag) throws(FileError) -> LambdaTargets in
                    LambdaTargets(tag: tag, topKIDs: try file.int32s(LambdaTag.topKIDsName(tag)),
                                  topKLogprobs: try file.floats(LambdaTag.topKLogprobsName(tag)),
                                  targetLogprob: try file.floats(LambdaTag.targetLogprobName(tag)))
                },
                source: source)
        } catch let error as FileError {
            throw TeacherTargetsError(source: source, error.problem)
        } catch let error as TeacherTargetsError {
            throw error
        } catch {
            throw TeacherTargetsError(source: source, "\(error)")
        }
    }
}
